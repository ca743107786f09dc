import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { workspaceOf } from "../http/principal";
import { Nullable, problemResponses } from "../http/schemas";
import type { RouteDeps } from "./deps";

const Range = Type.Union([Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }), Type.String({ format: "date-time" })], {
  description: "a UTC day (YYYY-MM-DD) or a date-time, whose UTC day counts; inclusive",
});
/** Counters are kept per UTC day: a date-time stands for its day. */
const utcDay = (value: string | undefined) => (value ? (value.length === 10 ? value : new Date(value).toISOString().slice(0, 10)) : "");
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** How the workspace's calls are doing, from counters kept as calls end and are analysed. */
export function analyticsRoutes(root: FastifyInstance, { analytics }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/analytics/summary",
    {
      config: { scope: "analytics:read" },
      schema: {
        tags: ["analytics"],
        summary: "Calls, connect rate, outcomes, sentiment, meetings, talk time and cost, for the workspace or one campaign",
        querystring: Type.Object({ campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), from: Type.Optional(Range), to: Type.Optional(Range) }),
        response: {
          200: Type.Object({
            campaign_id: Nullable(Type.String()),
            from: Nullable(Type.String()),
            to: Nullable(Type.String()),
            calls: Type.Integer(),
            connected: Type.Integer({ description: "answered by a person" }),
            connect_rate: Type.Number({ description: "connected ÷ calls, 0 when there are none" }),
            analyzed: Type.Integer(),
            meetings_booked: Type.Integer(),
            average_talk_seconds: Type.Number({ description: "over connected calls" }),
            outcomes: Type.Record(Type.String(), Type.Integer()),
            sentiments: Type.Record(Type.String(), Type.Integer()),
            cost: Type.Object({ telephony: Type.Number(), llm: Type.Number(), total: Type.Number() }, { description: "USD" }),
          }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const s = await analytics.getCallSummary({ workspaceId: workspaceOf(request.principal), campaignId: q.campaign_id ?? "", from: utcDay(q.from), to: utcDay(q.to) });
      return {
        campaign_id: q.campaign_id ?? null,
        from: utcDay(q.from) || null,
        to: utcDay(q.to) || null,
        calls: s.calls,
        connected: s.connected,
        connect_rate: s.calls ? round(s.connected / s.calls, 4) : 0,
        analyzed: s.analyzed,
        meetings_booked: s.meetingsBooked,
        average_talk_seconds: s.connected ? round(s.talkSeconds / s.connected, 1) : 0,
        outcomes: s.outcomes,
        sentiments: s.sentiments,
        cost: { telephony: round(s.costTelephony, 6), llm: round(s.costLlm, 6), total: round(s.costTelephony + s.costLlm, 6) },
      };
    },
  );
}
