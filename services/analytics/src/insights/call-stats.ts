import type { SqlTx } from "@parley/bus";

export interface StatsKey {
  workspaceId: string;
  campaignId: string;
  /** The UTC day the call ended. */
  day: Date;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** Adds to the summary counters, in the caller's transaction (whose inbox row makes it once). */
export async function addStats(tx: SqlTx, key: StatsKey, metrics: Record<string, number>): Promise<void> {
  for (const [metric, value] of Object.entries(metrics)) {
    if (!value) continue;
    await tx.$executeRawUnsafe(
      `insert into call_stats (workspace_id, campaign_id, day, metric, value) values ($1, $2, $3::date, $4, $5)
       on conflict (workspace_id, campaign_id, day, metric) do update set value = call_stats.value + excluded.value`,
      key.workspaceId,
      key.campaignId,
      utcDay(key.day),
      metric,
      value,
    );
  }
}
