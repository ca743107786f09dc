import type { InboundEvent, SqlTx } from "@parley/bus";
import { events } from "@parley/proto";

/** Keeps each workspace's retention policy from leads.workspace_changed; a late, older event never wins. */
export const workspacePolicyConsumer = {
  durable: "retention-workspace-policies",
  domain: "leads" as const,
  events: ["workspace_changed"],
  async handler(event: InboundEvent, tx: SqlTx): Promise<void> {
    const changed = events.WorkspaceChanged.decode(event.data);
    await tx.$executeRawUnsafe(
      `insert into workspace_policies (workspace_id, name, retention_days, changed_at) values ($1, $2, $3, $4)
       on conflict (workspace_id) do update set name = excluded.name, retention_days = excluded.retention_days, changed_at = excluded.changed_at
       where workspace_policies.changed_at <= excluded.changed_at`,
      changed.workspaceId,
      changed.name,
      changed.retentionDays,
      changed.occurredAt ?? new Date(),
    );
  },
};
