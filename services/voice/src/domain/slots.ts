import type { Prisma } from "../generated/prisma/client.ts";

type Tx = Prisma.TransactionClient;

export interface SlotLimits {
  /** Live calls on one provider account, across every workspace and replica. */
  global: number;
  /** Live calls of one workspace. */
  workspace: number;
}

/**
 * Takes a concurrency slot for a call, or says no. Every acquisition for a pool queues on one
 * advisory lock inside the caller's transaction, so replicas can never both see the last free
 * slot; the slot row commits (or not) with the call row.
 */
export async function acquireSlot(tx: Tx, pool: string, callId: string, workspaceId: string, limits: SlotLimits): Promise<{ acquired: boolean; live: number }> {
  await tx.$executeRawUnsafe("select pg_advisory_xact_lock(hashtextextended($1, 0))", `call-slots:${pool}`);
  const [counts] = await tx.$queryRawUnsafe<{ total: bigint; workspace: bigint }[]>(
    `select count(*) as total, count(*) filter (where c.workspace_id = $2) as workspace
     from call_slots s join calls c on c.id = s.call_id where s.pool = $1`,
    pool,
    workspaceId,
  );
  const live = Number(counts?.total ?? 0);
  if (live >= limits.global || Number(counts?.workspace ?? 0) >= limits.workspace) return { acquired: false, live };
  await tx.callSlot.create({ data: { callId, pool } });
  return { acquired: true, live: live + 1 };
}

export async function releaseSlot(tx: Tx, callId: string): Promise<boolean> {
  const { count } = await tx.callSlot.deleteMany({ where: { callId } });
  return count > 0;
}
