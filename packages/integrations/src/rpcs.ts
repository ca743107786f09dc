import { requireField } from "@parley/errors";
import type { IntegrationStore, IntegrationSummary } from "./store";

interface IntegrationMessage {
  kind: string;
  fields: string[];
  keyId: string;
  updatedAt?: Date | undefined;
}

const toMessage = (s: IntegrationSummary): IntegrationMessage => ({ kind: s.kind, fields: s.fields, keyId: s.keyId, updatedAt: s.updatedAt });

/** PutIntegration / ListIntegrations, the same in every service that owns integrations. */
export function integrationRpcs(store: IntegrationStore) {
  return {
    async putIntegration(req: { workspaceId: string; kind: string; credentials?: { [key: string]: unknown } | undefined }) {
      return { integration: toMessage(await store.put(requireField(req.workspaceId, "workspace_id"), req.kind, req.credentials)) };
    },
    async listIntegrations(req: { workspaceId: string }) {
      return { integrations: (await store.list(requireField(req.workspaceId, "workspace_id"))).map(toMessage) };
    },
  };
}
