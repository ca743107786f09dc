// Runs one claimed import to its end: the stored file is parsed again from the top (the header and
// in-file duplicates need it), rows up to the checkpoint are skipped, the rest applied in batches.
import type pg from "pg";
import type { Logger } from "@parley/logger";
import { counter, histogram } from "@parley/metrics";
import { applyBatch, LeaseLostError, type ImportClaim } from "./apply-batch";
import { CsvFormatError, CsvHeaderError, csvRows, type CsvRow, type MappingTarget } from "./csv-rows";
import { storedFile } from "./stored-file";

const rowsImported = counter("parley_leads_import_rows_total", "Rows of CSV imports applied, by outcome", ["outcome"]);
const importDuration = histogram("parley_leads_import_duration_seconds", "From an import's first claim to its end, by final status", ["status"], [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]);

export interface RunOptions {
  batchRows: number;
  leaseMs: number;
}

/** interrupted: stopped between batches on request; lease_lost: another worker has it now. */
export type RunResult = "completed" | "failed" | "interrupted" | "lease_lost";

/** Batches applied one after the other, while the next one is parsed: parsing and the database overlap. */
class BatchQueue {
  private previous: Promise<void> = Promise.resolve();

  constructor(private readonly apply: (batch: CsvRow[]) => Promise<void>) {}

  /** Waits for the batch before (throwing its error), then starts this one. */
  async push(batch: CsvRow[]): Promise<void> {
    await this.previous;
    this.previous = this.apply(batch);
    // Observed by the next push or drain; until then it must not count as unhandled.
    this.previous.catch(() => undefined);
  }

  drain(): Promise<void> {
    return this.previous;
  }
}

/** Renews the lease while the import runs; a renewal that finds the lease gone stops the run. */
function keepLease(pool: pg.Pool, claim: ImportClaim, leaseMs: number, lost: AbortController, logger: Logger): () => void {
  const timer = setInterval(() => {
    pool
      .query("update lead_imports set lease_expires_at = now() + make_interval(secs => $3) where id = $1 and lease_token = $2", [claim.id, claim.leaseToken, leaseMs / 1000])
      .then(
        (res) => {
          if (res.rowCount === 0) lost.abort();
        },
        (err: unknown) => logger.warn({ err, import_id: claim.id }, "cannot renew the import's lease"),
      );
  }, leaseMs / 3);
  return () => clearInterval(timer);
}

/** Completed or failed, under the lease: chunks are dropped, the file was only staged. */
async function finish(pool: pg.Pool, claim: ImportClaim, status: "completed" | "failed", error: string | null): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    const res = await client.query(
      `update lead_imports set status = $3, error = $4, completed_at = now(), lease_token = null, lease_expires_at = null, updated_at = now()
       where id = $1 and lease_token = $2`,
      [claim.id, claim.leaseToken, status, error],
    );
    if (res.rowCount) await client.query("delete from lead_import_chunks where import_id = $1", [claim.id]);
    await client.query("commit");
    return Boolean(res.rowCount);
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Gives up on an import that keeps failing its workers (or killing them). */
export async function failImport(pool: pg.Pool, claim: ImportClaim, error: string): Promise<void> {
  if (await finish(pool, claim, "failed", error)) importDuration.observe({ status: "failed" }, (Date.now() - claim.startedAt.getTime()) / 1000);
}

/**
 * Unexpected errors (the database gone) are thrown: the import keeps its lease until it runs out,
 * and then any worker resumes it from the checkpoint.
 */
export async function runImport(pool: pg.Pool, claim: ImportClaim, options: RunOptions, stop: AbortSignal, logger: Logger): Promise<RunResult> {
  const lost = new AbortController();
  const release = keepLease(pool, claim, options.leaseMs, lost, logger);
  const file = storedFile(pool, claim.id);
  const batches = new BatchQueue(async (batch) => {
    const outcome = await applyBatch(pool, claim, batch);
    rowsImported.inc({ outcome: "created" }, outcome.created);
    rowsImported.inc({ outcome: "duplicate" }, outcome.duplicates);
    rowsImported.inc({ outcome: "invalid" }, outcome.invalid);
  });
  try {
    let batch: CsvRow[] = [];
    let broken: CsvFormatError | CsvHeaderError | undefined;
    try {
      for await (const row of csvRows(file, { defaultCountry: claim.defaultCountry ?? undefined, mapping: claim.mapping as Record<string, MappingTarget> })) {
        // Checked per row, not per batch: skipping a long way to the checkpoint must not hold up a shutdown.
        if (lost.signal.aborted || stop.aborted) {
          await batches.drain();
          return lost.signal.aborted ? "lease_lost" : "interrupted";
        }
        if (row.row <= claim.checkpointRow) continue;
        batch.push(row);
        if (batch.length < options.batchRows) continue;
        await batches.push(batch);
        batch = [];
      }
    } catch (err) {
      // The file itself is wrong from some line on: the rows before it are applied and counted.
      if (!(err instanceof CsvFormatError || err instanceof CsvHeaderError)) throw err;
      broken = err;
    }
    if (batch.length) await batches.push(batch);
    await batches.drain();
    if (broken) {
      await failImport(pool, claim, broken.message);
      return "failed";
    }
    if (!(await finish(pool, claim, "completed", null))) return "lease_lost";
    importDuration.observe({ status: "completed" }, (Date.now() - claim.startedAt.getTime()) / 1000);
    return "completed";
  } catch (err) {
    if (err instanceof LeaseLostError) return "lease_lost";
    throw err;
  } finally {
    // Whatever ended the run, no batch of it may still be writing when the next claim starts.
    await batches.drain().catch(() => undefined);
    release();
    file.destroy();
  }
}
