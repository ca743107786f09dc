// Applies queued imports in the background, one at a time per replica. An import is claimed with a
// lease (FOR UPDATE SKIP LOCKED), so replicas share the queue and one that dies leaves its import to
// be resumed from the checkpoint once the lease runs out. Woken by NOTIFY, with a safety tick.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { Wakeup } from "@parley/bus";
import type { Logger } from "@parley/logger";
import type { ImportClaim } from "./apply-batch";
import { IMPORTS_CHANNEL } from "./lead-imports";
import { failImport, runImport } from "./run-import";

export interface ImportWorkerOptions {
  /** Rows per transaction. */
  batchRows: number;
  /** A claim not renewed for this long is taken to be abandoned by a dead worker. */
  leaseMs: number;
  pollIntervalMs: number;
  /** Claims of one import, crashed ones included, before it is failed. */
  maxAttempts: number;
  /** An upload left unfinished this long (the gateway died mid-request) is dropped. */
  abandonedUploadMs: number;
}

export const DEFAULT_IMPORT_WORKER_OPTIONS: ImportWorkerOptions = {
  batchRows: 1000,
  leaseMs: 60_000,
  pollIntervalMs: 5_000,
  maxAttempts: 5,
  abandonedUploadMs: 3_600_000,
};

interface ClaimRow {
  id: string;
  workspace_id: string;
  campaign_id: string | null;
  default_country: string | null;
  mapping: Record<string, string>;
  checkpoint_row: number;
  lease_token: string;
  attempts: number;
  started_at: Date;
}

/** The oldest import that is queued, or running under a lease that ran out. */
export async function claimImport(pool: pg.Pool, leaseMs: number): Promise<ImportClaim | undefined> {
  const { rows } = await pool.query<ClaimRow>(
    `update lead_imports set status = 'running', lease_token = $1, lease_expires_at = now() + make_interval(secs => $2),
       attempts = attempts + 1, started_at = coalesce(started_at, now()), updated_at = now()
     where id = (
       select id from lead_imports
       where status = 'queued' or (status = 'running' and lease_expires_at < now())
       order by created_at limit 1 for update skip locked)
     returning id, workspace_id, campaign_id, default_country, mapping, checkpoint_row, lease_token, attempts, started_at`,
    [randomUUID(), leaseMs / 1000],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    campaignId: row.campaign_id,
    defaultCountry: row.default_country,
    mapping: row.mapping,
    checkpointRow: row.checkpoint_row,
    leaseToken: row.lease_token,
    attempts: row.attempts,
    startedAt: row.started_at,
  };
}

export class ImportWorker {
  private running?: Promise<void>;
  private stopping = new AbortController();
  private readonly wakeup: Wakeup;
  private lastSweep = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    private readonly options: ImportWorkerOptions = DEFAULT_IMPORT_WORKER_OPTIONS,
  ) {
    this.wakeup = new Wakeup(pool, IMPORTS_CHANNEL, logger);
  }

  start(): void {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.running ??= this.loop();
  }

  /** Stops between two batches; the import's lease is handed back so another replica resumes it at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeup.poke();
    await this.running;
    this.running = undefined;
    this.wakeup.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await this.wakeup.listen();
      let worked = false;
      try {
        await this.sweepAbandonedUploads();
        worked = await this.runNext();
      } catch (err) {
        this.logger.error({ err }, "import worker failed; retrying");
      }
      if (!worked) await this.wakeup.sleep(this.options.pollIntervalMs);
    }
  }

  private async runNext(): Promise<boolean> {
    const claim = await claimImport(this.pool, this.options.leaseMs);
    if (!claim) return false;
    const log = { import_id: claim.id, workspace_id: claim.workspaceId, attempt: claim.attempts };
    if (claim.attempts > this.options.maxAttempts) {
      this.logger.error(log, "import given up");
      await failImport(this.pool, claim, `gave up after ${claim.attempts - 1} attempts`);
      return true;
    }
    this.logger.info({ ...log, from_row: claim.checkpointRow }, claim.checkpointRow ? "resuming import" : "starting import");
    const result = await runImport(this.pool, claim, this.options, this.stopping.signal, this.logger);
    if (result === "interrupted") await this.handBack(claim);
    this.logger.info({ ...log, result }, "import run ended");
    return true;
  }

  private async handBack(claim: ImportClaim): Promise<void> {
    // Not a failed attempt: a rolling restart must not use up the import's attempts.
    await this.pool.query("update lead_imports set lease_expires_at = now(), attempts = attempts - 1 where id = $1 and lease_token = $2", [claim.id, claim.leaseToken]);
    await this.pool.query(`select pg_notify('${IMPORTS_CHANNEL}', '')`);
  }

  private async sweepAbandonedUploads(): Promise<void> {
    if (Date.now() - this.lastSweep < this.options.pollIntervalMs * 12) return;
    this.lastSweep = Date.now();
    const { rowCount } = await this.pool.query(
      "delete from lead_imports where status = 'uploading' and updated_at < now() - make_interval(secs => $1)",
      [this.options.abandonedUploadMs / 1000],
    );
    if (rowCount) this.logger.info({ uploads: rowCount }, "dropped abandoned import uploads");
  }
}
