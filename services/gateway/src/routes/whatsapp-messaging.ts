import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { whatsappV1 } from "@parley/proto";
import { workspaceOf } from "../http/principal";
import { messageJson } from "../http/mappers";
import { IdParams, Nullable, page, PageQuery, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

const TemplateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 512 }),
    language: Type.String({ minLength: 2, maxLength: 15, description: "e.g. en, en_US, es" }),
    variables: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 20, description: "values for {{1}}, {{2}}, … in order" })),
  },
  { additionalProperties: false },
);

const TemplateSchema = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  provider_template_id: Type.String(),
  name: Type.String(),
  language: Type.String(),
  category: Type.String({ description: "MARKETING | UTILITY | AUTHENTICATION" }),
  status: Type.String({ description: "APPROVED | PENDING | REJECTED | PAUSED: only approved ones can be sent" }),
  body: Type.String(),
  variable_count: Type.Integer(),
  default: Type.Boolean({ description: "sent in place of free text the provider refused outside the 24-hour window" }),
  synced_at: Nullable(Timestamp),
});

const BroadcastSchema = Type.Object({
  id: Type.String(),
  template: Type.Object({ name: Type.String(), language: Type.String(), variables: Type.Array(Type.String()) }),
  rate_per_second: Type.Integer(),
  status: Type.String({ description: "preparing | sending | completed" }),
  progress: Type.Object({
    total: Type.Integer({ description: "messages queued: the leads that had not opted out" }),
    skipped_opted_out: Type.Integer(),
    by_status: Type.Record(Type.String(), Type.Integer(), { description: "messages by status: pending, sending, queued, sent, delivered, read, failed" }),
  }),
  created_at: Nullable(Timestamp),
  updated_at: Nullable(Timestamp),
});

const templateJson = (t: whatsappV1.Template) => ({
  id: t.id,
  provider: t.provider,
  provider_template_id: t.providerTemplateId,
  name: t.name,
  language: t.language,
  category: t.category,
  status: t.status,
  body: t.body,
  variable_count: t.variableCount,
  default: t.isDefault,
  synced_at: t.syncedAt?.toISOString() ?? null,
});

const broadcastJson = (b: whatsappV1.Broadcast) => ({
  id: b.id,
  template: { name: b.template?.name ?? "", language: b.template?.language ?? "", variables: b.template?.variables ?? [] },
  rate_per_second: b.ratePerSecond,
  status: b.status,
  progress: { total: b.total, skipped_opted_out: b.skippedOptedOut, by_status: b.byStatus },
  created_at: b.createdAt?.toISOString() ?? null,
  updated_at: b.updatedAt?.toISOString() ?? null,
});

export function whatsappMessagingRoutes(root: FastifyInstance, { whatsapp }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["whatsapp"];

  app.post(
    "/v1/messages",
    {
      config: { scope: "messages:write" },
      schema: {
        tags,
        summary: "Send a WhatsApp message to a lead: free text inside the 24-hour window, a template any time",
        description:
          "409 when free text is sent outside the window (the problem's hint names the template route) or the lead opted out; 502 with the provider's code when it refuses the message. A throttled provider leaves the message pending (202): it is sent as soon as it can be.",
        body: Type.Union([
          Type.Object({ lead_id: Type.String({ minLength: 1, maxLength: 64 }), text: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
          Type.Object({ lead_id: Type.String({ minLength: 1, maxLength: 64 }), template: TemplateBody }, { additionalProperties: false }),
        ]),
        response: { 201: Type.Ref("Message"), 202: Type.Ref("Message"), ...problemResponses(400, 401, 403, 404, 409, 422, 502, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { message } = await whatsapp.sendMessage({
        workspaceId: workspaceOf(request.principal),
        leadId: b.lead_id,
        text: "text" in b ? b.text : "",
        template: "template" in b ? { name: b.template.name, language: b.template.language, variables: b.template.variables ?? [] } : undefined,
      });
      return reply.code(message!.status === "pending" ? 202 : 201).send(messageJson(message!));
    },
  );

  app.get(
    "/v1/templates",
    {
      config: { scope: "leads:read" },
      schema: {
        tags,
        summary: "The workspace's WhatsApp templates, as its provider has them",
        querystring: Type.Object({ refresh: Type.Optional(Type.Boolean({ description: "read them from the provider now" })) }),
        response: { 200: Type.Object({ data: Type.Array(TemplateSchema) }), ...problemResponses(400, 401, 403, 409, 502, 503) },
      },
    },
    async (request) => ({ data: (await whatsapp.listTemplates({ workspaceId: workspaceOf(request.principal), refresh: request.query.refresh ?? false })).templates.map(templateJson) }),
  );

  app.post(
    "/v1/templates",
    {
      config: { scope: "messages:write" },
      schema: {
        tags,
        summary: "Register a provider template with Parley; `default: true` makes it the window fallback",
        description: "The template must exist at the provider (404 otherwise); templates are created and approved at the provider (Twilio Content, Meta WhatsApp Manager).",
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 512 }), language: Type.String({ minLength: 2, maxLength: 15 }), default: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 200: TemplateSchema, ...problemResponses(400, 401, 403, 404, 409, 502, 503) },
      },
    },
    async (request) => {
      const b = request.body;
      return templateJson((await whatsapp.putTemplate({ workspaceId: workspaceOf(request.principal), name: b.name, language: b.language, isDefault: b.default ?? false })).template!);
    },
  );

  app.post(
    "/v1/whatsapp/broadcasts",
    {
      config: { scope: "messages:write" },
      schema: {
        tags,
        summary: "Send an approved template to many leads, paced per sender number",
        description: "Leads by `lead_ids` or `lead_filter`; opted-out leads are skipped and counted. `{{lead.name}}` in a variable is replaced by each lead's name. Progress: GET /v1/whatsapp/broadcasts/{id}.",
        body: Type.Object(
          {
            template: TemplateBody,
            lead_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100_000 })),
            lead_filter: Type.Optional(
              Type.Object({ status: Type.Optional(Type.String({ maxLength: 50 })), tag: Type.Optional(Type.String({ maxLength: 100 })), q: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
            ),
            rate_per_second: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "at most the sender's limit (80 by default)" })),
          },
          { additionalProperties: false },
        ),
        response: { 202: BroadcastSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 502, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { broadcast } = await whatsapp.createBroadcast({
        workspaceId: workspaceOf(request.principal),
        template: { name: b.template.name, language: b.template.language, variables: b.template.variables ?? [] },
        leadIds: b.lead_ids ?? [],
        leadFilter: b.lead_filter ? { status: b.lead_filter.status ?? "", tag: b.lead_filter.tag ?? "", query: b.lead_filter.q ?? "" } : undefined,
        ratePerSecond: b.rate_per_second ?? 0,
      });
      return reply.code(202).header("location", `/v1/whatsapp/broadcasts/${broadcast!.id}`).send(broadcastJson(broadcast!));
    },
  );

  app.get(
    "/v1/whatsapp/broadcasts",
    {
      config: { scope: "leads:read" },
      schema: { tags, summary: "Broadcasts, newest first", querystring: Type.Object(PageQuery), response: { 200: page(BroadcastSchema), ...problemResponses(400, 401, 403) } },
    },
    async (request) => {
      const res = await whatsapp.listBroadcasts({ workspaceId: workspaceOf(request.principal), limit: request.query.limit, cursor: request.query.cursor ?? "" });
      return { data: res.broadcasts.map(broadcastJson), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/whatsapp/broadcasts/:id",
    {
      config: { scope: "leads:read" },
      schema: { tags, summary: "A broadcast's progress", params: IdParams, response: { 200: BroadcastSchema, ...problemResponses(401, 403, 404) } },
    },
    async (request) => broadcastJson((await whatsapp.getBroadcast({ workspaceId: workspaceOf(request.principal), broadcastId: request.params.id })).broadcast!),
  );
}
