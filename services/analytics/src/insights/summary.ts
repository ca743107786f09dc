import { requireField, ValidationError } from "@parley/errors";
import type { analyticsV1 } from "@parley/proto";
import type { PrismaClient } from "../generated/prisma/client.ts";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Sums the day counters in range: the cost of a summary grows with days and metrics, not calls. */
export function summaryRpcs(db: PrismaClient) {
  return {
    async getCallSummary(req: analyticsV1.GetCallSummaryRequest): Promise<analyticsV1.GetCallSummaryResponse> {
      const workspaceId = requireField(req.workspaceId, "workspace_id");
      const errors = [
        ...(req.from && !DAY.test(req.from) ? [{ path: "from", message: "a day, YYYY-MM-DD" }] : []),
        ...(req.to && !DAY.test(req.to) ? [{ path: "to", message: "a day, YYYY-MM-DD" }] : []),
        ...(req.from && req.to && req.from > req.to ? [{ path: "from", message: "must not be after to" }] : []),
      ];
      if (errors.length) throw new ValidationError("invalid summary range", errors);
      const rows = await db.$queryRawUnsafe<{ metric: string; total: number }[]>(
        `select metric, sum(value)::float8 as total from call_stats
         where workspace_id = $1 and ($2 = '' or campaign_id = $2) and ($3 = '' or day >= $3::date) and ($4 = '' or day <= $4::date)
         group by metric`,
        workspaceId,
        req.campaignId,
        req.from,
        req.to,
      );
      const total = Object.fromEntries(rows.map((r) => [r.metric, Number(r.total)]));
      const prefixed = (prefix: string) =>
        Object.fromEntries(Object.entries(total).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), Math.round(v)]));
      return {
        calls: total.calls ?? 0,
        connected: total.connected ?? 0,
        talkSeconds: total.talk_seconds ?? 0,
        analyzed: total.analyzed ?? 0,
        meetingsBooked: total.meetings_booked ?? 0,
        outcomes: prefixed("outcome:"),
        sentiments: prefixed("sentiment:"),
        costTelephony: total.cost_telephony ?? 0,
        costLlm: total.cost_llm ?? 0,
      };
    },
  };
}
