import type { InboundEvent, SqlTx } from "@parley/bus";
import { events } from "@parley/proto";
import type { Prisma } from "../generated/prisma/client.ts";
import type { LeadsDomain } from "../domain/leads";

/** What an analysed call's outcome makes of the lead. */
const STATUS_BY_OUTCOME: Record<string, string> = {
  interested: "qualified",
  callback_requested: "qualified",
  meeting_booked: "meeting_booked",
  not_interested: "not_interested",
  do_not_call: "do_not_call",
};

// An analysis never undoes what a later, stronger fact already says.
const KEPT_STATUSES = new Set(["meeting_booked", "converted", "do_not_call"]);

/**
 * The lead's side of its calls' insights: the summary on the timeline, the status moved by the
 * outcome, and `do_not_call` written to the consent ledger for every channel.
 */
export function callInsightsConsumer(leads: LeadsDomain) {
  return {
    durable: "leads-call-insights",
    domain: "analytics" as const,
    events: ["call_analyzed"],
    async handler(event: InboundEvent, sqlTx: SqlTx): Promise<void> {
      const tx = sqlTx as unknown as Prisma.TransactionClient;
      const analyzed = events.CallAnalyzed.decode(event.data);
      if (analyzed.status !== "succeeded") return;
      const lead = await tx.lead.findFirst({ where: { id: analyzed.leadId, workspaceId: analyzed.workspaceId } });
      if (!lead) return;
      const at = analyzed.occurredAt ?? new Date();
      await leads.addTimeline(tx, lead, "call_analyzed", `Call analysed: ${analyzed.outcome.replace(/_/g, " ")} — ${analyzed.summary}`, {
        call_id: analyzed.callId,
        outcome: analyzed.outcome,
        sentiment: analyzed.sentiment,
        ...(analyzed.meetingTime ? { meeting_time: analyzed.meetingTime } : {}),
      }, at);
      if (analyzed.outcome === "do_not_call") {
        await leads.optOutIn(tx, lead.workspaceId, lead.id, [], "asked not to be contacted (call analysis)", `call:${analyzed.callId}`);
      }
      const status = STATUS_BY_OUTCOME[analyzed.outcome];
      if (status && status !== lead.status && !KEPT_STATUSES.has(lead.status)) await leads.changeStatusIn(tx, lead, status, at);
    },
  };
}
