import { createHash } from "node:crypto";
import { PreconditionError, ValidationError } from "@parley/errors";
import type { IntegrationStore } from "@parley/integrations";
import type { ProviderResolver, ResolvedProvider } from "../domain/calls";
import { createVoiceProvider, type ProviderEndpoints, type VoiceIntegration } from "./factory";
import { VOICE_PROVIDER_KINDS, type VoiceProvider, type VoiceProviderKind } from "./port";

export interface SandboxConfig {
  /** Workspaces without a voice integration call through the operator's sandbox (the simulator). */
  enabled: boolean;
  provider: VoiceProviderKind;
}

// The simulator accepts any credential; these only have to be well formed.
const SANDBOX_CREDENTIALS: Record<VoiceProviderKind, VoiceIntegration> = {
  vapi: { kind: "vapi", credentials: { apiKey: "sandbox", phoneNumberId: "sandbox-number" } },
  bolna: { kind: "bolna", credentials: { apiKey: "sandbox" } },
  retell: { kind: "retell", credentials: { apiKey: "sandbox", fromNumber: "+14155550000" } },
};
const SANDBOX_ASSISTANT = "sandbox-assistant";
/** What the simulator signs sandbox webhooks with, and Bolna's URL token (Retell signs with the API key: "sandbox"). */
export const SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret";

const isKind = (k: string): k is VoiceProviderKind => (VOICE_PROVIDER_KINDS as readonly string[]).includes(k);
// The cap is per provider account: two workspaces sharing an API key share its limit.
const accountOf = (kind: string, apiKey: string) => `${kind}:${createHash("sha256").update(apiKey).digest("hex").slice(0, 16)}`;

/** Chooses the adapter for a workspace from its integrations, opening the credentials only here. */
export class IntegrationProviderResolver implements ProviderResolver {
  constructor(
    private readonly store: IntegrationStore,
    private readonly endpoints: ProviderEndpoints,
    private readonly sandbox: SandboxConfig,
  ) {}

  /** The adapter's credentials, and the webhook secret (Vapi signs with it, Bolna's URL carries it): one decryption. */
  private async integration(workspaceId: string, kind: VoiceProviderKind, configured: boolean): Promise<{ integration: VoiceIntegration; webhookSecret?: string }> {
    if (!configured) {
      if (!this.sandbox.enabled) throw new PreconditionError(`no ${kind} integration: PUT /v1/integrations/${kind} first`, { provider: kind });
      return { integration: SANDBOX_CREDENTIALS[kind], webhookSecret: kind === "retell" ? undefined : SANDBOX_WEBHOOK_SECRET };
    }
    switch (kind) {
      case "vapi": {
        const c = await this.store.credentials(workspaceId, "vapi");
        return { integration: { kind, credentials: { apiKey: c.api_key, phoneNumberId: c.phone_number_id } }, webhookSecret: c.webhook_secret };
      }
      case "bolna": {
        const c = await this.store.credentials(workspaceId, "bolna");
        return { integration: { kind, credentials: { apiKey: c.api_key, fromNumber: c.from_number } }, webhookSecret: c.webhook_secret };
      }
      case "retell": {
        const c = await this.store.credentials(workspaceId, "retell");
        return { integration: { kind, credentials: { apiKey: c.api_key, fromNumber: c.from_number } } };
      }
    }
  }

  async resolve(workspaceId: string, requested?: string): Promise<ResolvedProvider> {
    if (requested !== undefined && !isKind(requested)) throw new ValidationError(`unknown provider ${requested}`, [{ path: "provider", message: `must be one of ${VOICE_PROVIDER_KINDS.join(", ")}` }]);
    const configured = (await this.store.list(workspaceId)).map((i) => i.kind as string).filter(isKind);
    const kind = requested ?? configured[0] ?? (this.sandbox.enabled ? this.sandbox.provider : undefined);
    if (!kind) throw new PreconditionError("no voice provider integration: PUT /v1/integrations/vapi (or bolna, retell) first");
    const own = configured.includes(kind);
    const { integration, webhookSecret } = await this.integration(workspaceId, kind, own);
    return {
      kind,
      provider: createVoiceProvider(integration, this.endpoints),
      account: accountOf(kind, integration.credentials.apiKey),
      defaultAssistantId: own ? undefined : SANDBOX_ASSISTANT,
      webhookSecret,
    };
  }

  async forCall(workspaceId: string, kind: string): Promise<VoiceProvider> {
    if (!isKind(kind)) throw new ValidationError(`unknown provider ${kind}`, [{ path: "provider", message: "unknown" }]);
    const configured = (await this.store.list(workspaceId)).some((i) => i.kind === kind);
    return createVoiceProvider((await this.integration(workspaceId, kind, configured)).integration, this.endpoints);
  }
}
