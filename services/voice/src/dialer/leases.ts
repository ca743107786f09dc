// Concurrency slots as leases in Postgres. A pool (a provider account, a workspace, a campaign) has
// one row per slot, 1..cap; a call takes one free row in every pool it counts against, in one
// transaction, with `FOR UPDATE SKIP LOCKED` so replicas never wait on each other and never share
// a row (the SQL functions voice_take_leases and voice_claim_campaign_lead, one round trip each). Each taking gets a fencing token: a release or renewal names it, so a holder whose lease
// ran out and was reclaimed can no longer free (or extend) the new holder's slot.
import { counter } from "@parley/metrics";
import type { Prisma } from "../generated/prisma/client.ts";

type Tx = Prisma.TransactionClient;

/** Wakes every replica's dispatcher: a slot came free, or work became due. */
export const DISPATCH_CHANNEL = "voice_dispatch";

/** Tells every replica's dispatcher (at commit, inside a transaction) that there may be work for it. */
export async function wakeDispatchers(sql: { $executeRawUnsafe(query: string): Promise<number> }): Promise<void> {
  await sql.$executeRawUnsafe(`select pg_notify('${DISPATCH_CHANNEL}', '')`);
}

export interface PoolCap {
  pool: string;
  cap: number;
}

export const accountPool = (account: string) => `account:${account}`;
export const workspacePool = (workspaceId: string) => `workspace:${workspaceId}`;
export const campaignPool = (campaignId: string) => `campaign:${campaignId}`;
export const poolKind = (pool: string) => pool.slice(0, pool.indexOf(":"));

const reclaimed = counter("parley_voice_leases_reclaimed_total", "Slots taken over after their lease ran out (the holder stopped renewing)", ["pool_kind"]);

export interface TakenLeases {
  token: bigint;
  /** When the first slot taken had last been freed: the refill latency is measured from it. */
  freedAt: Date | null;
}

/** Which pool was full, when a taking fails. */
export type LeaseRefusal = { full: string };

export async function nextToken(tx: Tx): Promise<bigint> {
  const [row] = await tx.$queryRawUnsafe<{ token: bigint }[]>("select nextval('call_lease_tokens') as token");
  return BigInt(row!.token);
}

interface TakeRow {
  full_pool: string | null;
  freed_at: Date | null;
  reclaimed: number;
}

/** Counts leases taken over after running out (their holder stopped renewing). */
export function countReclaimed(pools: PoolCap[], reclaimedCount: number): void {
  if (reclaimedCount > 0) reclaimed.inc({ pool_kind: poolKind(pools[0]!.pool) }, reclaimedCount);
}

export const leaseArgs = (pools: PoolCap[]) => [pools.map((p) => p.pool), pools.map((p) => p.cap)] as const;

/**
 * Takes one slot in each pool for `callId`, or none (see voice_take_leases in the migrations).
 * Slots numbered above a pool's cap are never taken, so a lowered cap applies as the calls above
 * it end.
 */
export async function takeLeases(tx: Tx, callId: string, token: bigint, pools: PoolCap[], now: Date, ttlMs: number): Promise<TakenLeases | LeaseRefusal> {
  const [names, caps] = leaseArgs(pools);
  const [row] = await tx.$queryRawUnsafe<TakeRow[]>("select * from voice_take_leases($1, $2, $3::text[], $4::int[], $5, $6)", callId, token, names, caps, now, ttlMs);
  if (row!.full_pool) return { full: row!.full_pool };
  countReclaimed(pools, row!.reclaimed);
  return { token, freedAt: row!.freed_at };
}

export const refused = (taken: TakenLeases | LeaseRefusal): taken is LeaseRefusal => "full" in taken;

/** Frees the call's slots (only those still under its token) and wakes the dispatchers. */
export async function releaseLeases(tx: Tx, callId: string, token: bigint | null, now: Date): Promise<number> {
  if (token === null) return 0;
  const freed = await tx.$executeRawUnsafe("update call_leases set call_id = null, expires_at = null, released_at = $3 where call_id = $1 and token = $2", callId, token, now);
  if (freed > 0) await wakeDispatchers(tx);
  return freed;
}

/** True when the call still holds all `count` of its slots under its token: checked right before the dial. */
export async function holdsLeases(tx: Tx, callId: string, token: bigint, count: number, now: Date): Promise<boolean> {
  const [row] = await tx.$queryRawUnsafe<{ n: bigint }[]>("select count(*) as n from call_leases where call_id = $1 and token = $2 and expires_at > $3", callId, token, now);
  return Number(row?.n ?? 0) === count;
}
