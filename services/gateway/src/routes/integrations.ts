import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { INTEGRATION_KINDS, INTEGRATION_OWNER, type IntegrationKind } from "@parley/integrations";
import type { integrationsV1 } from "@parley/proto";
import { workspaceOf } from "../http/principal";
import { Nullable, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

const IntegrationSchema = Type.Object({
  kind: Type.String(),
  configured: Type.Boolean(),
  fields: Type.Array(Type.String(), { description: "names of the stored fields; values are never returned" }),
  key_id: Nullable(Type.String({ description: "the encryption key the credentials are sealed with" })),
  updated_at: Nullable(Timestamp),
});

const configured = (i: integrationsV1.Integration) => ({ kind: i.kind, configured: true, fields: i.fields, key_id: i.keyId, updated_at: i.updatedAt?.toISOString() ?? null });
const missing = (kind: string) => ({ kind, configured: false, fields: [], key_id: null, updated_at: null });

export function integrationRoutes(root: FastifyInstance, { voice, whatsapp }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["integrations"];
  const owner = (kind: IntegrationKind) => (INTEGRATION_OWNER[kind] === "voice" ? voice : whatsapp);

  app.put(
    "/v1/integrations/:kind",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Store a provider's credentials (write-only, encrypted at rest; replaces what was stored)",
        description:
          "Fields per kind: vapi {api_key, phone_number_id, webhook_secret}; bolna {api_key, webhook_secret?, from_number?}; retell {api_key, from_number}; twilio {account_sid, auth_token, whatsapp_from, voice_from?}; meta_whatsapp {access_token, phone_number_id, app_secret, verify_token}; openai {api_key, model?}; calcom {api_key, event_type_id}.",
        params: Type.Object({ kind: Type.Union(INTEGRATION_KINDS.map((k) => Type.Literal(k))) }),
        body: Type.Object({}, { additionalProperties: true, description: "the kind's credential fields" }),
        response: { 200: IntegrationSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const kind = request.params.kind as IntegrationKind;
      const { integration } = await owner(kind).putIntegration({ workspaceId: workspaceOf(request.principal), kind, credentials: request.body });
      return configured(integration!);
    },
  );

  app.get(
    "/v1/integrations",
    {
      config: { scope: "admin" },
      schema: { tags, summary: "Every integration kind and whether it is configured; never a secret", response: { 200: Type.Object({ data: Type.Array(IntegrationSchema) }), ...problemResponses(401, 403) } },
    },
    async (request) => {
      const workspaceId = workspaceOf(request.principal);
      const [v, w] = await Promise.all([voice.listIntegrations({ workspaceId }), whatsapp.listIntegrations({ workspaceId })]);
      const stored = new Map([...v.integrations, ...w.integrations].map((i) => [i.kind, i]));
      return { data: INTEGRATION_KINDS.map((kind) => (stored.has(kind) ? configured(stored.get(kind)!) : missing(kind))) };
    },
  );
}
