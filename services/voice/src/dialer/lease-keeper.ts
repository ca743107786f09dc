// Keeps the slots honest, on every replica (each step is idempotent): leases of calls still live
// are renewed; a lease nobody renews (its holder died between claiming and recording the call)
// runs out and is reclaimed; a claim that never became a call goes back to the queue; a dial whose
// answer never came is given up on; running campaigns with nothing left are completed.
import type { Logger } from "@parley/logger";
import { counter, gauge } from "@parley/metrics";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { CallsDomain } from "../domain/calls";
import type { CampaignsDomain } from "./campaigns";
import { poolKind, wakeDispatchers } from "./leases";

export interface LeaseKeeperConfig {
  leaseTtlMs: number;
  /** A call with no provider id this long after it was recorded: its dial is taken to have failed. */
  dialGraceMs: number;
  globalCap: number;
}

const reclaimed = counter("parley_voice_leases_expired_total", "Leases that ran out unrenewed and were freed by the keeper", ["pool_kind"]);
const returned = counter("parley_voice_claims_returned_total", "Campaign claims whose replica died before recording the call, queued again");
const unconfirmed = counter("parley_voice_dials_unconfirmed_total", "Calls whose dial was never confirmed by the provider, ended as failed");
const liveCalls = gauge("parley_voice_live_calls", "Calls holding a slot, per pool (provider account, workspace, campaign)", ["pool_kind", "pool"]);
const callCap = gauge("parley_voice_call_cap", "The cap of each provider account's pool", ["pool"]);
const queueDepth = gauge("parley_voice_dial_queue_depth", "Campaign leads due now in running campaigns, waiting for a slot");

export class LeaseKeeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly livePools = new Set<string>();

  constructor(
    private readonly db: PrismaClient,
    private readonly calls: CallsDomain,
    private readonly campaigns: CampaignsDomain,
    private readonly config: LeaseKeeperConfig,
    private readonly now: () => Date,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err: unknown) => this.logger.warn({ err }, "lease upkeep failed"))
        .finally(() => (this.running = undefined));
    }, Math.max(10, Math.floor(this.config.leaseTtlMs / 3)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    const now = this.now();
    const expires = new Date(now.getTime() + this.config.leaseTtlMs);
    await this.db.$executeRawUnsafe(
      `update call_leases l set expires_at = $2 from calls c
       where l.call_id = c.id and l.token = c.lease_token and c.status <> 'ended' and l.expires_at > $1`,
      now,
      expires,
    );
    const freed = await this.db.$queryRawUnsafe<{ pool: string }[]>(
      `update call_leases set call_id = null, expires_at = null, released_at = $1
       where call_id is not null and expires_at <= $1 returning pool`,
      now,
    );
    for (const { pool } of freed) reclaimed.inc({ pool_kind: poolKind(pool) });
    const orphans = await this.db.$executeRawUnsafe(
      `update campaign_leads q set state = 'queued', call_id = null, claimed_at = null, attempts = attempts - 1, updated_at = $1
       where q.state = 'calling' and q.claimed_at < $2 and not exists (select 1 from calls c where c.id = q.call_id)`,
      now,
      new Date(now.getTime() - this.config.leaseTtlMs),
    );
    returned.inc(orphans);
    if (freed.length || orphans) {
      this.logger.warn({ leases: freed.length, claims: orphans }, "reclaimed slots and claims left by a replica that stopped");
      await wakeDispatchers(this.db);
    }
    await this.giveUpUnconfirmed(now);
    await this.campaigns.completeFinished();
    await this.observe(now);
  }

  private async giveUpUnconfirmed(now: Date): Promise<void> {
    const stale = await this.db.call.findMany({
      where: { status: "queued", providerCallId: null, direction: "outbound", createdAt: { lt: new Date(now.getTime() - this.config.dialGraceMs) } },
      take: 100,
    });
    for (const call of stale) {
      await this.calls.apply(call.id, { providerCallId: "", status: "ended", endedReason: "failed", providerReason: "dial_unconfirmed" }, "poll");
      unconfirmed.inc();
      this.logger.warn({ call_id: call.id }, "dial never confirmed by the provider: call ended as failed");
    }
  }

  private async observe(now: Date): Promise<void> {
    const rows = await this.db.$queryRawUnsafe<{ pool: string; n: bigint }[]>(
      "select pool, count(*) filter (where call_id is not null and expires_at > $1) as n from call_leases where pool not like 'campaign:%' group by pool",
      now,
    );
    const seen = new Set<string>();
    for (const { pool, n } of rows) {
      liveCalls.set({ pool_kind: poolKind(pool), pool }, Number(n));
      if (poolKind(pool) === "account") callCap.set({ pool }, this.config.globalCap);
      seen.add(pool);
    }
    for (const pool of this.livePools) if (!seen.has(pool)) liveCalls.remove({ pool_kind: poolKind(pool), pool });
    this.livePools.clear();
    for (const pool of seen) this.livePools.add(pool);
    const [depth] = await this.db.$queryRawUnsafe<{ n: bigint }[]>(
      "select count(*) as n from campaign_leads q join campaigns c on c.id = q.campaign_id where c.status = 'running' and q.state = 'queued' and q.due_at <= $1",
      now,
    );
    queueDepth.set(Number(depth?.n ?? 0));
  }
}
