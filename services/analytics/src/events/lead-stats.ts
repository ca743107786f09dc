import type { InboundEvent, SqlTx } from "@parley/bus";
import { events } from "@parley/proto";

/** Counts leads created per workspace and source from leads.lead_created. */
export const leadStatsConsumer = {
  durable: "analytics-lead-stats",
  domain: "leads" as const,
  events: ["lead_created"],
  async handler(event: InboundEvent, tx: SqlTx): Promise<void> {
    const created = events.LeadCreated.decode(event.data);
    await tx.$executeRawUnsafe(
      `insert into lead_stats (workspace_id, source, leads_created, updated_at) values ($1, $2, 1, now())
       on conflict (workspace_id, source) do update set leads_created = lead_stats.leads_created + 1, updated_at = now()`,
      created.workspaceId,
      created.lead?.source || "api",
    );
  },
};
