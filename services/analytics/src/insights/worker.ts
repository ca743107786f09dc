// Runs queued insights with a bound on concurrent LLM requests. Rows are claimed with a lease
// (FOR UPDATE SKIP LOCKED), so several replicas share the work and a replica that dies mid-call
// leaves its rows to be claimed again when the lease runs out.
import type pg from "pg";
import { WakeupLoop } from "@parley/bus";
import type { Logger } from "@parley/logger";
import type { CallInsight, PrismaClient } from "../generated/prisma/client.ts";
import { INSIGHTS_CHANNEL } from "./call-ended-consumer";

export interface InsightWorkerOptions {
  concurrency: number;
  pollIntervalMs: number;
  /** A claim older than this is taken to be abandoned by a dead worker. */
  leaseMs: number;
}

export class InsightWorker {
  private readonly loop: WakeupLoop;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: PrismaClient,
    pool: pg.Pool,
    private readonly analyze: (row: CallInsight) => Promise<void>,
    private readonly options: InsightWorkerOptions,
    private readonly logger: Logger,
  ) {
    this.loop = new WakeupLoop(pool, { name: "insights", channel: INSIGHTS_CHANNEL, retryMs: options.pollIntervalMs }, () => this.round(), logger);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims what there is room for; goes on at once while there is more room and work. */
  private async round(): Promise<number> {
    const claimed = await this.claim(this.options.concurrency - this.inFlight.size);
    for (const row of claimed) {
      const job: Promise<void> = this.analyze(row)
        .catch((err: unknown) => this.logger.error({ err, call_id: row.callId }, "insight analysis crashed"))
        .finally(() => {
          this.inFlight.delete(job);
          this.loop.poke();
        });
      this.inFlight.add(job);
    }
    return claimed.length && this.inFlight.size < this.options.concurrency ? 0 : this.options.pollIntervalMs;
  }

  private async claim(limit: number): Promise<CallInsight[]> {
    if (limit <= 0) return [];
    const claimed = await this.db.$queryRawUnsafe<{ call_id: string }[]>(
      `update call_insights set status = 'running', claimed_at = now(), attempts = attempts + 1, updated_at = now()
       where call_id in (
         select call_id from call_insights
         where (status = 'pending' and next_attempt_at <= now()) or (status = 'running' and claimed_at < now() - make_interval(secs => $2))
         order by next_attempt_at limit $1 for update skip locked)
       returning call_id`,
      limit,
      this.options.leaseMs / 1000,
    );
    if (!claimed.length) return [];
    return this.db.callInsight.findMany({ where: { callId: { in: claimed.map((c) => c.call_id) } } });
  }
}
