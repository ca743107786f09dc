// Voice and WhatsApp each keep their own copy of the consent ledger for their channel, built from
// leads.lead_opted_out into their own `opt_out_projection` table, so a dial or a send can be refused
// without a synchronous call (and still is, when leads is down).
import type { InboundEvent, SqlTx } from "@parley/bus";
import { requireField } from "@parley/errors";
import { events } from "@parley/proto";

export type ConsentChannel = "voice" | "whatsapp";

export interface OptOutState {
  optedOut: boolean;
  reason: string;
  eventsApplied: number;
}

export function optOutConsumer(channel: ConsentChannel) {
  return {
    durable: `${channel}-opt-out-projection`,
    domain: "leads" as const,
    events: ["lead_opted_out"],
    async handler(event: InboundEvent, tx: SqlTx): Promise<void> {
      const optOut = events.LeadOptedOut.decode(event.data);
      const applies = optOut.channels.includes(channel);
      await tx.$executeRawUnsafe(
        `insert into opt_out_projection (workspace_id, lead_id, opted_out, reason, events_applied, updated_at)
         values ($1, $2, $3, $4, 1, now())
         on conflict (workspace_id, lead_id) do update set
           opted_out = opt_out_projection.opted_out or excluded.opted_out,
           reason = case when excluded.opted_out then excluded.reason else opt_out_projection.reason end,
           events_applied = opt_out_projection.events_applied + 1,
           updated_at = now()`,
        optOut.workspaceId,
        optOut.leadId,
        applies,
        applies ? optOut.reason : "",
      );
    },
  };
}

export async function readOptOut(
  db: { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> },
  workspaceId: string,
  leadId: string,
): Promise<OptOutState> {
  const rows = await db.$queryRawUnsafe<{ opted_out: boolean; reason: string; events_applied: number }[]>(
    "select opted_out, reason, events_applied from opt_out_projection where workspace_id = $1 and lead_id = $2",
    workspaceId,
    leadId,
  );
  const row = rows[0];
  return row ? { optedOut: row.opted_out, reason: row.reason, eventsApplied: row.events_applied } : { optedOut: false, reason: "", eventsApplied: 0 };
}

/** The GetOptOutProjection RPC, the same in voice and whatsapp. */
export function optOutProjectionRpc(db: Parameters<typeof readOptOut>[0]) {
  return {
    getOptOutProjection: (req: { workspaceId: string; leadId: string }) =>
      readOptOut(db, requireField(req.workspaceId, "workspace_id"), requireField(req.leadId, "lead_id")),
  };
}
