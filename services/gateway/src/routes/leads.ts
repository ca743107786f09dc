import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { isDomainError, toProblem } from "@parley/errors";
import { leadsV1 } from "@parley/proto";
import { callJson, leadJson, timelineEntryJson } from "../http/mappers";
import { sendProblem } from "../http/problems";
import { workspaceOf } from "../http/principal";
import { IdParams, LeadInputFields, Nullable, page, PageQuery, problemResponses } from "../http/schemas";
import type { RouteDeps } from "./deps";

const CLEARABLE = ["name", "email", "business_name", "timezone"] as const;
const PREVIEW_TIMELINE = 20;

const channels = { voice: leadsV1.Channel.CHANNEL_VOICE, whatsapp: leadsV1.Channel.CHANNEL_WHATSAPP } as const;

export function leadRoutes(root: FastifyInstance, { leads, voice }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["leads"];

  app.post(
    "/v1/leads",
    {
      config: { scope: "leads:write" },
      schema: {
        tags,
        summary: "Create a lead (phone normalised to E.164; a duplicate phone is a 409 naming the existing lead)",
        description:
          "With `?call=now` the lead is also called at once with the workspace's default assistant (the checks of POST /v1/calls apply) and the answer carries the call. When the call cannot be placed the lead still exists: the problem (409, 429, 502 with the provider's message…) names it in `lead_id` and its Location.",
        querystring: Type.Object({ call: Type.Optional(Type.Literal("now")) }),
        body: Type.Object(
          {
            phone: Type.String({ minLength: 3, maxLength: 32, examples: ["+1 415 555 0123"] }),
            name: Type.Optional(LeadInputFields.name),
            email: Type.Optional(LeadInputFields.email),
            business_name: Type.Optional(LeadInputFields.business_name),
            timezone: Type.Optional(LeadInputFields.timezone),
            tags: Type.Optional(LeadInputFields.tags),
            metadata: Type.Optional(LeadInputFields.metadata),
            form_responses: Type.Optional(LeadInputFields.form_responses),
            source: Type.Optional(Type.String({ minLength: 1, maxLength: 32, default: "api", examples: ["api", "form"] })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Ref("LeadWithCall"),
          ...problemResponses(400, 401, 403, 409, 422, 429, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const workspaceId = workspaceOf(request.principal);
      const { lead } = await leads.createLead({
        workspaceId,
        phone: b.phone,
        name: b.name,
        email: b.email,
        businessName: b.business_name,
        timezone: b.timezone,
        tags: b.tags ?? [],
        metadata: b.metadata,
        formResponses: b.form_responses,
        source: b.source ?? "api",
      });
      void reply.header("location", `/v1/leads/${lead!.id}`);
      if (request.query.call !== "now") return reply.code(201).send(leadJson(lead!));
      try {
        const { call } = await voice.placeCall({ workspaceId, leadId: lead!.id, assistantId: "", provider: "", variables: {} });
        return reply.code(201).send({ ...leadJson(lead!), call: callJson(call!) });
      } catch (err) {
        if (!isDomainError(err)) throw err;
        const problem = toProblem(err);
        return sendProblem(reply, { ...problem, detail: `The lead was created (${lead!.id}) but not called: ${problem.detail}`, lead_id: lead!.id });
      }
    },
  );

  app.get(
    "/v1/leads",
    {
      config: { scope: "leads:read" },
      schema: {
        tags,
        summary: "List leads, newest first",
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "matches name, business name, email or phone" })),
        }),
        response: { 200: page(Type.Ref("Lead")), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await leads.listLeads({ workspaceId: workspaceOf(request.principal), status: q.status, tag: q.tag, query: q.q, limit: q.limit, cursor: q.cursor ?? "", ids: [] });
      return { data: res.leads.map(leadJson), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/leads/:id",
    {
      config: { scope: "leads:read" },
      schema: { tags, summary: "Read a lead with its 20 most recent timeline entries (oldest first)", params: IdParams, response: { 200: Type.Ref("LeadWithTimeline"), ...problemResponses(401, 403, 404) } },
    },
    async (request) => {
      const { lead, recentTimeline } = await leads.getLead({ workspaceId: workspaceOf(request.principal), leadId: request.params.id, timelineLimit: PREVIEW_TIMELINE });
      return { ...leadJson(lead!), timeline: recentTimeline.map(timelineEntryJson) };
    },
  );

  app.patch(
    "/v1/leads/:id",
    {
      config: { scope: "leads:write" },
      schema: {
        tags,
        summary: "Update a lead; null clears a field, tags replace, metadata and form_responses merge",
        params: IdParams,
        body: Type.Object(
          {
            phone: Type.Optional(Type.String({ minLength: 3, maxLength: 32 })),
            name: Type.Optional(Nullable(LeadInputFields.name)),
            email: Type.Optional(Nullable(LeadInputFields.email)),
            business_name: Type.Optional(Nullable(LeadInputFields.business_name)),
            timezone: Type.Optional(Nullable(LeadInputFields.timezone)),
            status: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
            tags: Type.Optional(LeadInputFields.tags),
            metadata: Type.Optional(LeadInputFields.metadata),
            form_responses: Type.Optional(LeadInputFields.form_responses),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref("Lead"), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const b = request.body;
      const value = (v: string | null | undefined) => (v === null ? undefined : v);
      const { lead } = await leads.updateLead({
        workspaceId: workspaceOf(request.principal),
        leadId: request.params.id,
        phone: b.phone,
        name: value(b.name),
        email: value(b.email),
        businessName: value(b.business_name),
        timezone: value(b.timezone),
        status: b.status,
        tags: b.tags ?? [],
        replaceTags: b.tags !== undefined,
        metadata: b.metadata,
        formResponses: b.form_responses,
        clearFields: CLEARABLE.filter((f) => b[f] === null),
      });
      return leadJson(lead!);
    },
  );

  app.delete(
    "/v1/leads/:id",
    {
      config: { scope: "leads:write" },
      schema: { tags, summary: "Delete a lead (its opt-outs are kept)", params: IdParams, response: { 204: Type.Null({ description: "deleted" }), ...problemResponses(401, 403, 404) } },
    },
    async (request, reply) => {
      await leads.deleteLead({ workspaceId: workspaceOf(request.principal), leadId: request.params.id });
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/v1/leads/:id/timeline",
    {
      config: { scope: "leads:read" },
      schema: { tags, summary: "Calls, messages, insights and status changes, newest first", params: IdParams, querystring: Type.Object(PageQuery), response: { 200: page(Type.Ref("TimelineEntry")), ...problemResponses(400, 401, 403, 404) } },
    },
    async (request) => {
      const res = await leads.getTimeline({ workspaceId: workspaceOf(request.principal), leadId: request.params.id, limit: request.query.limit, cursor: request.query.cursor ?? "" });
      return { data: res.entries.map(timelineEntryJson), next_cursor: res.nextCursor || null };
    },
  );

  app.post(
    "/v1/leads/:id/opt-out",
    {
      config: { scope: "leads:write" },
      schema: {
        tags,
        summary: "Record an opt-out; nothing is sent on those channels afterwards",
        params: IdParams,
        body: Type.Object(
          {
            channels: Type.Array(Type.Union([Type.Literal("voice"), Type.Literal("whatsapp")]), { minItems: 1, uniqueItems: true }),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref("Lead"), ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { lead } = await leads.recordOptOut({
        workspaceId: workspaceOf(request.principal),
        leadId: request.params.id,
        channels: request.body.channels.map((c) => channels[c]),
        reason: request.body.reason ?? "",
        source: "api",
      });
      return leadJson(lead!);
    },
  );
}
