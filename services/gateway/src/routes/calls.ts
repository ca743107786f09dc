import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { workspaceOf } from "../http/principal";
import { isDomainError } from "@parley/errors";
import { callEventJson, callJson, insightJson } from "../http/mappers";
import { CallSchema, IdParams, Nullable, page, PageQuery, problemResponses, Timestamp } from "../http/schemas";
import type { RouteDeps } from "./deps";

/** The call's insight, or null until the call has ended and been queued for analysis. */
async function insightsOf(analytics: RouteDeps["analytics"], workspaceId: string, callId: string) {
  try {
    return insightJson((await analytics.getCallInsight({ workspaceId, callId })).insight!);
  } catch (err) {
    if (isDomainError(err) && err.kind === "not_found") return null;
    // The call itself is still worth showing while analytics is down.
    if (isDomainError(err) && err.kind === "unavailable") return null;
    throw err;
  }
}

export function callRoutes(root: FastifyInstance, { voice, analytics }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["calls"];

  app.post(
    "/v1/calls",
    {
      config: { scope: "calls:write" },
      schema: {
        tags,
        summary: "Call a lead now: consent and calling hours are checked, a concurrency slot taken, then the provider dials",
        description: "409 when the lead opted out or it is outside calling hours; 429 when every call slot is in use; 502 with the provider's own message when it refuses the dial.",
        body: Type.Object(
          {
            lead_id: Type.String({ minLength: 1, maxLength: 64 }),
            assistant_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "a directory assistant (asst_…) or the provider's own assistant id; the workspace's default assistant when omitted" })),
            provider: Type.Optional(Type.Union([Type.Literal("vapi"), Type.Literal("bolna"), Type.Literal("retell")])),
            variables: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1000 }))),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref("Call"), ...problemResponses(400, 401, 403, 404, 409, 422, 429, 502, 503) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { call } = await voice.placeCall({ workspaceId: workspaceOf(request.principal), leadId: b.lead_id, assistantId: b.assistant_id ?? "", provider: b.provider ?? "", variables: b.variables ?? {} });
      return reply.code(201).header("location", `/v1/calls/${call!.id}`).send(callJson(call!));
    },
  );

  app.get(
    "/v1/calls",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "List calls, newest first",
        querystring: Type.Object({
          ...PageQuery,
          lead_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          status: Type.Optional(Type.Union(["queued", "ringing", "in_progress", "ended"].map((s) => Type.Literal(s)))),
        }),
        response: { 200: page(Type.Ref("Call")), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await voice.listCalls({ workspaceId: workspaceOf(request.principal), leadId: q.lead_id ?? "", campaignId: q.campaign_id ?? "", status: q.status ?? "", limit: q.limit, cursor: q.cursor ?? "" });
      return { data: res.calls.map(callJson), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/calls/:id",
    {
      config: { scope: "calls:read" },
      schema: {
        tags,
        summary: "A call with its event history",
        params: IdParams,
        response: {
          200: Type.Object({
            ...CallSchema.properties,
            events: Type.Array(Type.Object({ type: Type.String(), status: Type.String(), source: Type.String(), data: Type.Object({}, { additionalProperties: true }), occurred_at: Nullable(Timestamp) })),
          }),
          ...problemResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      const workspaceId = workspaceOf(request.principal);
      const res = await voice.getCall({ workspaceId, callId: request.params.id });
      return { ...callJson(res.call!), insights: await insightsOf(analytics, workspaceId, request.params.id), events: res.events.map(callEventJson) };
    },
  );
}
