import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { INTEGRATION_KINDS, INTEGRATION_OWNERS, type IntegrationKind, type IntegrationOwner } from "@parley/integrations";
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

export function integrationRoutes(root: FastifyInstance, { voice, whatsapp, analytics }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["integrations"];
  const services: Record<IntegrationOwner, Pick<RouteDeps["voice"], "putIntegration" | "listIntegrations">> = { voice, whatsapp, analytics };

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
      const workspaceId = workspaceOf(request.principal);
      // Every owner keeps its own sealed copy. The first validates; a failure part-way is retried
      // by repeating the PUT, which replaces what was stored.
      const [first, ...others] = INTEGRATION_OWNERS[kind];
      const { integration } = await services[first!].putIntegration({ workspaceId, kind, credentials: request.body });
      for (const other of others) await services[other].putIntegration({ workspaceId, kind, credentials: request.body });
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
      // A kind's first owner is the one that speaks for it.
      const lists = await Promise.all((["voice", "whatsapp"] as const).map((o) => services[o].listIntegrations({ workspaceId })));
      const stored = new Map(lists.flatMap((l) => l.integrations).map((i) => [i.kind, i]));
      return { data: INTEGRATION_KINDS.map((kind) => (stored.has(kind) ? configured(stored.get(kind)!) : missing(kind))) };
    },
  );
}
