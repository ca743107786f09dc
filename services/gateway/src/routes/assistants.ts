import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type, type TSchema } from "typebox";
import { ValidationError } from "@parley/errors";
import type { voiceV1 } from "@parley/proto";
import { workspaceOf } from "../http/principal";
import { IdParams, Nullable, page, PageQuery, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

const iso = (d?: Date) => d?.toISOString() ?? null;
const Provider = Type.Union([Type.Literal("vapi"), Type.Literal("bolna"), Type.Literal("retell")]);

// The configuration Parley versions and renders for each provider; `{{variable}}` placeholders are
// filled per call from the lead (name, business_name) and the workspace profile (business, persona, offer, pricing).
const configFields = {
  first_message: Type.String({ minLength: 1, maxLength: 1000, description: "what the assistant says first" }),
  system_prompt: Type.String({ minLength: 1, maxLength: 20_000 }),
  voicemail_message: Type.String({ minLength: 1, maxLength: 1000, description: "left when a machine answers" }),
  voice: Type.Object({ provider: Type.String({ minLength: 1, maxLength: 50 }), voice_id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  model: Type.Object({ provider: Type.String({ minLength: 1, maxLength: 50 }), model: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
  max_duration_seconds: Type.Integer({ minimum: 30, maximum: 7200 }),
  end_call_phrases: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 }),
  language: Type.String({ pattern: "^[a-z]{2}(-[A-Z]{2})?$", description: "e.g. en or en-US" }),
};
const optional = (fields: Record<string, TSchema>, nullable: boolean) =>
  Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, Type.Optional(nullable ? Nullable(s) : s)]));
const ConfigInput = Type.Object(optional(configFields, false), { additionalProperties: false });
const ConfigPatch = Type.Object(optional(configFields, true), { additionalProperties: false, description: "fields to change; null removes an optional field" });

const AssistantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  provider: Type.String(),
  provider_assistant_id: Type.String(),
  source: Type.String({ description: "created | template | imported" }),
  template: Nullable(Type.String()),
  version: Type.Integer(),
  default: Type.Boolean({ description: "dialled when a call names no assistant" }),
  config: Type.Object({}, { additionalProperties: true }),
  versions: Type.Array(Type.Object({ version: Type.Integer(), created_at: Nullable(Timestamp) })),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
  archived_at: Nullable(Timestamp),
});

const json = (a: voiceV1.Assistant) => ({
  id: a.id,
  name: a.name,
  provider: a.provider,
  provider_assistant_id: a.providerAssistantId,
  source: a.source,
  template: a.template || null,
  version: a.version,
  default: a.isDefault,
  config: a.config ?? {},
  versions: a.versions.map((v) => ({ version: v.version, created_at: iso(v.createdAt) })),
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
  archived_at: iso(a.archivedAt),
});

/** The assistants directory: assistants live on the provider; Parley keeps their ids and versions. */
export function assistantRoutes(root: FastifyInstance, { voice }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["assistants"];

  app.get(
    "/v1/assistants/templates",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "Templates to create an assistant from",
        response: { 200: Type.Object({ data: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), description: Type.String(), config: Type.Object({}, { additionalProperties: true }) })) }), ...problemResponses(401, 403) },
      },
    },
    async () => ({ data: (await voice.listAssistantTemplates({})).templates.map((t) => ({ id: t.id, name: t.name, description: t.description, config: t.config ?? {} })) }),
  );

  app.post(
    "/v1/assistants",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Create an assistant on the provider, from a template and/or a config — or import an existing one by its provider id",
        description:
          "Creating pushes the assistant, with Parley's in-call tools and this gateway as its webhook, to the provider. Importing (provider_assistant_id) records an assistant that already exists there; Parley does not change it until you edit it. The workspace's first assistant becomes its default. 502 carries the provider's own message.",
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: "defaults to the template's or the imported assistant's name" })),
            provider: Type.Optional(Provider),
            template: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            config: Type.Optional(ConfigInput),
            provider_assistant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            default: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: AssistantSchema, ...problemResponses(400, 401, 403, 409, 422, 502, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (b.provider_assistant_id && (b.template || b.config)) {
        throw new ValidationError("import (provider_assistant_id) takes no template or config: edit the assistant after importing it", [
          { path: "provider_assistant_id", message: "cannot be combined with template or config" },
        ]);
      }
      const { assistant } = await voice.createAssistant({
        workspaceId: workspaceOf(request.principal),
        name: b.name ?? "",
        provider: b.provider ?? "",
        template: b.template ?? "",
        config: b.config,
        providerAssistantId: b.provider_assistant_id ?? "",
        isDefault: b.default ?? false,
      });
      return reply.code(201).header("location", `/v1/assistants/${assistant!.id}`).send(json(assistant!));
    },
  );

  app.get(
    "/v1/assistants",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "List assistants, newest first",
        querystring: Type.Object({ ...PageQuery, include_archived: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 200: page(AssistantSchema), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await voice.listAssistants({ workspaceId: workspaceOf(request.principal), limit: q.limit, cursor: q.cursor ?? "", includeArchived: q.include_archived ?? false });
      return { data: res.assistants.map(json), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/assistants/:id",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "An assistant with its current (or an earlier) version's config",
        params: IdParams,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
        response: { 200: AssistantSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => json((await voice.getAssistant({ workspaceId: workspaceOf(request.principal), assistantId: request.params.id, version: request.query.version ?? 0 })).assistant!),
  );

  app.patch(
    "/v1/assistants/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Edit an assistant: the provider is updated, then a new version recorded",
        description: "Calls already placed keep the version they used. 502 (with the provider's message) leaves the assistant unchanged.",
        params: IdParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })), config: Type.Optional(ConfigPatch), default: Type.Optional(Type.Boolean()) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: AssistantSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 502, 503) },
      },
    },
    async (request) => {
      const b = request.body;
      const { assistant } = await voice.updateAssistant({ workspaceId: workspaceOf(request.principal), assistantId: request.params.id, name: b.name ?? "", config: b.config, isDefault: b.default });
      return json(assistant!);
    },
  );

  app.delete(
    "/v1/assistants/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Archive an assistant: it leaves the directory, not the provider",
        description: "409 while a live call uses it. Its versions stay readable (GET with include_archived).",
        params: IdParams,
        response: { 204: Type.Null(), ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await voice.archiveAssistant({ workspaceId: workspaceOf(request.principal), assistantId: request.params.id });
      return reply.code(204).send(null);
    },
  );
}
