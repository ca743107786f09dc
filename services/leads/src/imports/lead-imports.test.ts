import { test, before } from "node:test";
import assert from "node:assert/strict";
import type pg from "pg";
import { busMigrations } from "@parley/bus";
import { createPrisma, migrate } from "@parley/db";
import { NotFoundError, PreconditionError, ValidationError } from "@parley/errors";
import { createLogger } from "@parley/logger";
import { events } from "@parley/proto";
import { cleanup, createTestDatabase, testPool } from "@parley/testing";
import { PrismaClient, type LeadImportRejection } from "../generated/prisma/client.ts";
import { migrationsDir } from "../app";
import { LeadsDomain } from "../domain/leads";
import { WorkspacesDomain } from "../domain/workspaces";
import { applyBatch, LeaseLostError } from "./apply-batch";
import { claimImport, DEFAULT_IMPORT_WORKER_OPTIONS, ImportWorker, type ImportWorkerOptions } from "./import-worker";
import { LeadImports, type StartImportInput } from "./lead-imports";
import { runImport } from "./run-import";

const logger = createLogger({ service: "imports-test", level: "silent" });
let db: PrismaClient;
let pool: pg.Pool;
let imports: LeadImports;
let leads: LeadsDomain;
let workspaces: WorkspacesDomain;

before(async () => {
  const url = await createTestDatabase("lead_imports");
  await migrate(url, [busMigrations, { namespace: "leads", dir: migrationsDir }]);
  db = createPrisma(PrismaClient, url, { max: 4 });
  pool = testPool(url, 8);
  imports = new LeadImports(db, pool);
  leads = new LeadsDomain(db);
  workspaces = new WorkspacesDomain(db);
  cleanup(() => db.$disconnect());
});

const CHUNK_BYTES = 256 * 1024;

/** Uploads lines in chunks of about 256 KB, as the gateway does: the file is never one string. */
async function upload(input: Omit<StartImportInput, "mapping"> & { mapping?: Record<string, string> }, lines: Iterable<string>): Promise<string> {
  const id = await imports.start({ mapping: {}, ...input });
  let seq = 0;
  let pending: Buffer[] = [];
  let size = 0;
  const flush = async () => {
    await imports.appendChunk(input.workspaceId, id, seq++, Buffer.concat(pending));
    pending = [];
    size = 0;
  };
  for (const line of lines) {
    const bytes = Buffer.from(`${line}\n`);
    pending.push(bytes);
    size += bytes.length;
    if (size >= CHUNK_BYTES) await flush();
  }
  if (size) await flush();
  await imports.finish(input.workspaceId, id, seq);
  return id;
}

const phoneOf = (i: number) => `+1415${String(2_000_000 + i).padStart(7, "0")}`;
const lineOf = (i: number) => i + 2;

/**
 * `rows` data rows with, per thousand: a bad phone (7), a bad email (13), no phone (21) and a
 * repeat of the previous row's phone (500); `existing` indexes reuse the phones of earlier leads.
 */
function* leadsCsv(rows: number) {
  yield "Full Name,Phone Number,Email,Time Zone,Plan";
  for (let i = 0; i < rows; i++) {
    const n = i % 1000;
    const phone = n === 7 ? "not-a-phone" : n === 21 ? "" : n === 500 ? phoneOf(i - 1) : phoneOf(i);
    const email = n === 13 ? "bad@" : `lead${i}@example.com`;
    yield `Lead ${i},${phone},${email},${i % 2 ? "America/Los_Angeles" : ""},${planOf(i)}`;
  }
}

const planOf = (i: number) => (i % 3 ? "pro" : "free");
const isBad = (i: number) => [7, 13, 21].includes(i % 1000);
const isRepeat = (i: number) => i % 1000 === 500;

/** A worker for the length of one test, so no test's worker takes another test's import. */
async function withWorker<T>(options: Partial<ImportWorkerOptions>, fn: () => Promise<T>): Promise<T> {
  const worker = new ImportWorker(pool, logger, { ...DEFAULT_IMPORT_WORKER_OPTIONS, ...options });
  worker.start();
  try {
    return await fn();
  } finally {
    await worker.stop();
  }
}

async function untilStatus(workspaceId: string, id: string, statuses: string[], timeoutMs = 50_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await imports.get(workspaceId, id);
    if (statuses.includes(view.import.status)) return view;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${view.import.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function untilCheckpoint(id: string, atLeast: number) {
  for (;;) {
    const found = await db.leadImport.findUniqueOrThrow({ where: { id } });
    if (found.checkpointRow >= atLeast) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function outboxCount(workspaceId: string, type: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<{ n: number }[]>("select count(*)::int as n from bus_outbox where workspace_id = $1 and event_type = $2", workspaceId, type);
  return row!.n;
}

async function importedLeads(workspaceId: string): Promise<number> {
  return db.lead.count({ where: { workspaceId, source: "import" } });
}

test("100,000 rows: exact counts, row-numbered rejections, leads, lead_created and one campaign event per batch", async () => {
  const ROWS = 100_000;
  const ws = await workspaces.create({ name: "Bulk", timezone: "UTC" });
  const existingIndexes = Array.from({ length: 50 }, (_, k) => 900 + k * 2000);
  const existing = new Map<number, string>();
  for (const i of existingIndexes) existing.set(i, (await leads.create({ workspaceId: ws.id, phone: phoneOf(i), tags: [], source: "api" })).id);
  await leads.optOut(ws.id, existing.get(900)!, ["voice"], "asked", "api");
  await leads.delete(ws.id, existing.get(900)!);
  existing.delete(900);

  const id = await upload({ workspaceId: ws.id, campaignId: "cmp_bulk" }, leadsCsv(ROWS));
  assert.equal((await imports.get(ws.id, id)).import.status, "queued");
  // 15 to 20 s here; the margin is for a machine busy with other test files.
  const done = await withWorker({ pollIntervalMs: 200 }, () => untilStatus(ws.id, id, ["completed", "failed"], 120_000));

  const invalid = Array.from({ length: ROWS }, (_, i) => i).filter(isBad).length;
  const duplicates = Array.from({ length: ROWS }, (_, i) => i).filter(isRepeat).length + existing.size;
  const created = ROWS - invalid - duplicates;
  assert.equal(done.import.status, "completed", done.import.error ?? "");
  assert.deepEqual(
    { rows: done.import.rowCount, created: done.import.createdCount, duplicates: done.import.duplicateCount, invalid: done.import.invalidCount },
    { rows: ROWS, created, duplicates, invalid },
  );
  assert.ok(done.import.completedAt);
  assert.equal(await db.leadImportChunk.count({ where: { importId: id } }), 0, "the staged file is dropped once applied");

  assert.equal(done.firstErrors.length, 100);
  assert.deepEqual(done.firstErrors.slice(0, 3).map((r) => [r.rowNumber, r.errors]), [
    [lineOf(7), [{ field: "phone", message: "not a valid phone number (use the +<country code> form, or set the workspace's default_country)" }]],
    [lineOf(13), [{ field: "email", message: "not a valid email address" }]],
    [lineOf(21), [{ field: "phone", message: "is required" }]],
  ]);
  const rejected: LeadImportRejection[] = [];
  let cursor: string | undefined;
  do {
    const page = await imports.rejections(ws.id, id, 200, cursor);
    rejected.push(...page.items);
    cursor = page.nextCursor || undefined;
  } while (cursor);
  assert.equal(rejected.length, invalid + duplicates);
  assert.deepEqual(rejected.map((r) => r.rowNumber), [...rejected.map((r) => r.rowNumber)].sort((a, b) => a - b), "in file order");
  const repeatOf = (i: number) => rejected.find((r) => r.rowNumber === lineOf(i));
  assert.deepEqual([repeatOf(500)?.kind, repeatOf(500)?.duplicateOfRow, repeatOf(500)?.duplicateOfLeadId], ["duplicate", lineOf(499), null]);
  assert.deepEqual([repeatOf(2900)?.kind, repeatOf(2900)?.duplicateOfRow, repeatOf(2900)?.duplicateOfLeadId], ["duplicate", null, existing.get(2900)]);

  assert.equal(await importedLeads(ws.id), created);
  const reimported = await db.lead.findFirstOrThrow({ where: { workspaceId: ws.id, phone: phoneOf(900) } });
  assert.deepEqual([reimported.source, reimported.optedOutVoice, reimported.name, reimported.metadata], ["import", true, "Lead 900", { plan: planOf(900) }], "the opt-out ledger outlives the deleted lead");
  assert.equal(await db.timelineEntry.count({ where: { workspaceId: ws.id, kind: "lead_created", summary: "Lead created (import)" } }), created);
  assert.equal(await outboxCount(ws.id, "leads.lead_created"), created + existingIndexes.length);
  const [sample] = await db.$queryRawUnsafe<{ payload: Buffer }[]>(
    "select payload from bus_outbox where workspace_id = $1 and event_type = 'leads.lead_created' order by seq desc limit 1",
    ws.id,
  );
  const event = events.LeadCreated.decode(sample!.payload);
  assert.deepEqual([event.lead?.source, event.lead?.phone, event.lead?.metadata], ["import", phoneOf(ROWS - 1), { plan: planOf(ROWS - 1) }]);

  const batches = await db.$queryRawUnsafe<{ payload: Buffer }[]>("select payload from bus_outbox where workspace_id = $1 and event_type = 'leads.import_batch' order by seq", ws.id);
  assert.equal(batches.length, ROWS / DEFAULT_IMPORT_WORKER_OPTIONS.batchRows);
  const enqueued = batches.map((b) => events.LeadsImported.decode(b.payload));
  assert.deepEqual([enqueued[0]!.importId, enqueued[0]!.campaignId, enqueued[0]!.firstRow, enqueued[0]!.lastRow], [id, "cmp_bulk", 2, 1001]);
  const leadIds = enqueued.flatMap((e) => e.leadIds);
  assert.equal(new Set(leadIds).size, leadIds.length, "each lead once");
  assert.equal(leadIds.length, created + existing.size, "new leads and the existing ones the file names");
  assert.ok(leadIds.includes(existing.get(2900)!));
});

test("a crashed worker's import is resumed from its checkpoint by another; the stale one can apply nothing", async () => {
  const ROWS = 10_000;
  const ws = await workspaces.create({ name: "Resume", timezone: "UTC" });
  const id = await upload({ workspaceId: ws.id }, leadsCsv(ROWS));
  const options = { batchRows: 1000, leaseMs: 60_000 };

  const crashed = await claimImport(pool, options.leaseMs);
  assert.equal(crashed?.id, id);
  const crash = new AbortController();
  const run = runImport(pool, crashed!, options, crash.signal, logger);
  await untilCheckpoint(id, 3_000);
  crash.abort();
  assert.equal(await run, "interrupted");
  // Nothing is claimable while the dead worker's lease lasts…
  assert.equal(await claimImport(pool, options.leaseMs), undefined);
  const midway = await db.leadImport.findUniqueOrThrow({ where: { id } });
  assert.equal(midway.status, "running");
  assert.equal(await importedLeads(ws.id), midway.createdCount);

  // …and once it has run out, another worker takes over from the checkpoint.
  await db.$executeRawUnsafe("update lead_imports set lease_expires_at = now() - interval '1 second' where id = $1", id);
  const resumed = await claimImport(pool, options.leaseMs);
  assert.deepEqual([resumed?.id, resumed?.checkpointRow, resumed?.attempts], [id, midway.checkpointRow, 2]);
  assert.equal(await runImport(pool, crashed!, options, new AbortController().signal, logger), "lease_lost");
  assert.equal((await db.leadImport.findUniqueOrThrow({ where: { id } })).rowCount, midway.rowCount, "the stale worker applied nothing");
  assert.equal(await runImport(pool, resumed!, options, new AbortController().signal, logger), "completed");

  const done = await imports.get(ws.id, id);
  const invalid = Array.from({ length: ROWS }, (_, i) => i).filter(isBad).length;
  const duplicates = Array.from({ length: ROWS }, (_, i) => i).filter(isRepeat).length;
  assert.deepEqual(
    [done.import.status, done.import.rowCount, done.import.createdCount, done.import.duplicateCount, done.import.invalidCount],
    ["completed", ROWS, ROWS - invalid - duplicates, duplicates, invalid],
  );
  assert.equal(await importedLeads(ws.id), ROWS - invalid - duplicates);
  assert.equal(await outboxCount(ws.id, "leads.lead_created"), ROWS - invalid - duplicates, "one lead_created per lead, none from the abandoned run");
  assert.equal(await db.leadImportRejection.count({ where: { importId: id } }), invalid + duplicates);
});

test("a worker stopped mid-import hands it back, and the next one resumes it at once", async () => {
  const ws = await workspaces.create({ name: "Restart", timezone: "UTC" });
  const id = await upload({ workspaceId: ws.id }, leadsCsv(10_000));
  const options = { ...DEFAULT_IMPORT_WORKER_OPTIONS, pollIntervalMs: 60_000 };
  const first = new ImportWorker(pool, logger, options);
  first.start();
  await untilCheckpoint(id, 3_000);
  await first.stop();
  const handedBack = await db.leadImport.findUniqueOrThrow({ where: { id } });
  assert.ok(handedBack.checkpointRow < 10_001, "stopped before the end");
  assert.equal(handedBack.attempts, 0, "a hand-back is not a failed attempt");
  const done = await withWorker(options, () => untilStatus(ws.id, id, ["completed"], 30_000));
  assert.equal(done.import.rowCount, 10_000);
  assert.equal(await importedLeads(ws.id), done.import.createdCount);
});

test("header mapping, the default country for national numbers, and a file that breaks mid-way", async () => {
  const ws = await workspaces.create({ name: "Mapped", timezone: "UTC", settings: { default_country: "US" } });
  const mapped = await upload({ workspaceId: ws.id, defaultCountry: "ES", mapping: { Tel: "phone", Company: "metadata", Who: "name" } }, [
    "Who,Tel,Company",
    "Lucía,612 34 56 78,Acme",
    'Bad,"+34 612 34 56 79,Acme',
    "Never,+34612345680,Read",
  ]);
  const done = await withWorker({ pollIntervalMs: 100, batchRows: 1000 }, () => untilStatus(ws.id, mapped, ["completed", "failed"]));
  assert.equal(done.import.status, "failed");
  assert.match(done.import.error ?? "", /^line \d+: /);
  assert.equal(done.import.createdCount, 1, "the rows before the break are applied");
  const lead = await db.lead.findFirstOrThrow({ where: { workspaceId: ws.id } });
  assert.deepEqual([lead.phone, lead.name, lead.metadata], ["+34612345678", "Lucía", { company: "Acme" }]);
});

test("a file that cannot be imported is refused when the upload finishes, and leaves nothing behind", async () => {
  const ws = await workspaces.create({ name: "Refused", timezone: "UTC" });
  await assert.rejects(upload({ workspaceId: ws.id }, ["name,email", "Ada,ada@example.com"]), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.message, "the CSV has no phone column");
    assert.equal(err.errors[0]?.path, "file.header");
    return true;
  });
  await assert.rejects(upload({ workspaceId: ws.id }, ["phone,mobile", "+14155550123,+14155550124"]), /two columns map to phone/);
  await assert.rejects(upload({ workspaceId: ws.id }, []), /the file is empty/);
  await assert.rejects(imports.start({ workspaceId: ws.id, defaultCountry: "XX", mapping: {} }), ValidationError);
  await assert.rejects(imports.start({ workspaceId: ws.id, mapping: { Phone: "phone_number" } }), (err: unknown) => err instanceof ValidationError && err.errors[0]?.path === "mapping.Phone");
  assert.equal(await db.leadImport.count({ where: { workspaceId: ws.id } }), 0);
});

test("a phone taken between a batch's look-up and its insert makes that row a duplicate of the lead, not a failure", async () => {
  const ws = await workspaces.create({ name: "Race", timezone: "UTC" });
  const id = await upload({ workspaceId: ws.id }, ["phone", "+14155550100"]);
  await db.leadImport.update({ where: { id }, data: { status: "running", leaseToken: "held" } });
  const claim = { id, workspaceId: ws.id, campaignId: null, defaultCountry: null, mapping: {}, checkpointRow: 0, leaseToken: "held", attempts: 1, startedAt: new Date() };
  // Two rows of one phone in one insert collide like a concurrent create would.
  const lead = { phone: "+14155550100", metadata: {} };
  assert.deepEqual(await applyBatch(pool, claim, [{ row: 2, lead }, { row: 3, lead }]), { created: 1, duplicates: 1, invalid: 0 });
  const created = await db.lead.findFirstOrThrow({ where: { workspaceId: ws.id } });
  const [rejection] = await db.leadImportRejection.findMany({ where: { importId: id } });
  assert.deepEqual([rejection?.rowNumber, rejection?.duplicateOfLeadId], [3, created.id]);
  await assert.rejects(applyBatch(pool, { ...claim, leaseToken: "stale" }, [{ row: 4, lead: { phone: "+14155550101", metadata: {} } }]), LeaseLostError);
});

test("chunks are stored once per seq, only while uploading; another workspace sees no import", async () => {
  const ws = await workspaces.create({ name: "Owner", timezone: "UTC" });
  const other = await workspaces.create({ name: "Other", timezone: "UTC" });
  const id = await imports.start({ workspaceId: ws.id, mapping: {} });
  await assert.rejects(imports.get(ws.id, id), NotFoundError, "an upload is not an import yet");
  await imports.appendChunk(ws.id, id, 0, Buffer.from("phone\n+14155550123\n"));
  await imports.appendChunk(ws.id, id, 0, Buffer.from("phone\n+14155550123\n"));
  await assert.rejects(imports.appendChunk(other.id, id, 1, Buffer.from("x")), NotFoundError);
  const queued = await imports.finish(ws.id, id, 1);
  assert.equal(queued.import.status, "queued");
  assert.equal((await imports.finish(ws.id, id, 1)).import.id, id, "finishing again answers the import");
  await assert.rejects(imports.appendChunk(ws.id, id, 1, Buffer.from("+14155550124\n")), PreconditionError);
  await assert.rejects(imports.get(other.id, id), NotFoundError);
  await assert.rejects(imports.rejections(other.id, id, 10), NotFoundError);
});
