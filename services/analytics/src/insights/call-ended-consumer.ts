import type { InboundEvent, SqlTx } from "@parley/bus";
import { events } from "@parley/proto";
import { addStats } from "./call-stats";

export const INSIGHTS_CHANNEL = "analytics_insights";

/**
 * Queues one insight per ended call and counts the call, in the same transaction as the inbox
 * row: a redelivered call_ended changes nothing, so the call is analysed (and paid for) once.
 */
export const callEndedConsumer = {
  durable: "analytics-call-ended",
  domain: "voice" as const,
  events: ["call_ended"],
  async handler(event: InboundEvent, tx: SqlTx): Promise<void> {
    const ended = events.CallEnded.decode(event.data);
    const endedAt = ended.endedAt ?? ended.occurredAt ?? new Date();
    const queued = await tx.$executeRawUnsafe(
      `insert into call_insights (call_id, workspace_id, lead_id, campaign_id, status, ended_reason, duration_seconds, telephony_cost, ended_at)
       values ($1, $2, $3, $4, 'pending', $5, $6, $7, $8) on conflict (call_id) do nothing`,
      ended.callId,
      ended.workspaceId,
      ended.leadId,
      ended.campaignId || null,
      ended.endedReason,
      ended.durationSeconds,
      ended.cost,
      endedAt,
    );
    if (!queued) return;
    // Talk time and cost are counted when the insight is final: they often follow the end.
    await addStats(tx, { workspaceId: ended.workspaceId, campaignId: ended.campaignId, day: endedAt }, { calls: 1, connected: ended.endedReason === "completed" ? 1 : 0 });
    await tx.$executeRawUnsafe(`select pg_notify('${INSIGHTS_CHANNEL}', '')`);
  },
};
