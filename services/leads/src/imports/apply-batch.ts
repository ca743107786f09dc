// One batch of an import's rows, applied in one transaction: new leads (with their timeline entry
// and lead_created), rejected rows, the counts and the checkpoint. The batch commits only under the
// lease it was claimed with, so a worker that lost its claim can never apply rows twice.
import type pg from "pg";
import { pgTxRunner, type SqlTx } from "@parley/bus";
import { newId } from "@parley/ids";
import type { Lead } from "../generated/prisma/client.ts";
import { emitLeadsCreated, emitLeadsImported } from "../events/emit";
import type { FieldError } from "@parley/errors";
import type { CsvRow, ImportedLead } from "./csv-rows";

/** Marks leads created by an import, on the row and in lead_created, so consumers can tell them apart. */
const IMPORT_SOURCE = "import";

/** Field errors as stored with a rejected row (the API's `{ field, message }`). */
export interface RowError {
  field: string;
  message: string;
}

const rowErrors = (errors: FieldError[]): RowError[] => errors.map((e) => ({ field: e.path, message: e.message }));

export interface ImportClaim {
  id: string;
  workspaceId: string;
  campaignId: string | null;
  defaultCountry: string | null;
  mapping: Record<string, string>;
  /** The last line applied before this claim. */
  checkpointRow: number;
  leaseToken: string;
  attempts: number;
  startedAt: Date;
}

export interface BatchOutcome {
  created: number;
  duplicates: number;
  invalid: number;
}

/** Another worker holds the import now (this one's lease ran out): nothing of the batch is applied. */
export class LeaseLostError extends Error {
  constructor(importId: string) {
    super(`lost the lease on import ${importId}`);
    this.name = "LeaseLostError";
  }
}

interface Rejection {
  row: number;
  kind: "invalid" | "duplicate";
  errors: RowError[];
  duplicateOfRow: number | null;
  duplicateOfLeadId: string | null;
}

type Candidate = { row: number; lead: ImportedLead };

async function holdLease(tx: SqlTx, claim: ImportClaim): Promise<void> {
  const [held] = await tx.$queryRawUnsafe<{ lease_token: string | null }[]>("select lease_token from lead_imports where id = $1 for update", claim.id);
  if (held?.lease_token !== claim.leaseToken) throw new LeaseLostError(claim.id);
}

async function leadIdsByPhone(tx: SqlTx, workspaceId: string, phones: string[]): Promise<Map<string, string>> {
  if (!phones.length) return new Map();
  const rows = await tx.$queryRawUnsafe<{ id: string; phone: string }[]>("select id, phone from leads where workspace_id = $1 and phone = any($2::text[])", workspaceId, phones);
  return new Map(rows.map((r) => [r.phone, r.id]));
}

/** Opt-outs outlive leads (the ledger is keyed by phone): a re-imported number stays opted out. */
async function optOutsByPhone(tx: SqlTx, workspaceId: string, phones: string[]): Promise<Map<string, Set<string>>> {
  if (!phones.length) return new Map();
  const rows = await tx.$queryRawUnsafe<{ phone: string; channel: string }[]>(
    "select distinct phone, channel from opt_outs where workspace_id = $1 and phone = any($2::text[])",
    workspaceId,
    phones,
  );
  const byPhone = new Map<string, Set<string>>();
  for (const r of rows) byPhone.set(r.phone, (byPhone.get(r.phone) ?? new Set()).add(r.channel));
  return byPhone;
}

const INSERT_LEADS = `insert into leads (id, workspace_id, phone, name, email, business_name, timezone, metadata, source, opted_out_voice, opted_out_whatsapp)
  select l.id, $1, l.phone, l.name, l.email, l.business_name, l.timezone, l.metadata, $2, l.opted_out_voice, l.opted_out_whatsapp
  from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::boolean[], $11::boolean[])
    as l(id, phone, name, email, business_name, timezone, metadata, opted_out_voice, opted_out_whatsapp)`;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

/**
 * Inserts the leads; a phone taken since the batch looked (a concurrent create) is skipped, not an
 * error. ON CONFLICT doubles the insert's cost, so it is only the fallback for that rare race.
 */
async function insertLeads(tx: SqlTx, claim: ImportClaim, candidates: Candidate[], optOuts: Map<string, Set<string>>): Promise<{ created: Lead[]; skipped: Candidate[] }> {
  if (!candidates.length) return { created: [], skipped: [] };
  const ids = candidates.map(() => newId("ld"));
  const field = (pick: (l: ImportedLead) => string | undefined) => candidates.map((c) => pick(c.lead) ?? null);
  const values = [
    claim.workspaceId,
    IMPORT_SOURCE,
    ids,
    field((l) => l.phone),
    field((l) => l.name),
    field((l) => l.email),
    field((l) => l.businessName),
    field((l) => l.timezone),
    candidates.map((c) => JSON.stringify(c.lead.metadata)),
    candidates.map((c) => optOuts.get(c.lead.phone)?.has("voice") ?? false),
    candidates.map((c) => optOuts.get(c.lead.phone)?.has("whatsapp") ?? false),
  ];
  const returning = " returning id, created_at";
  await tx.$executeRawUnsafe("savepoint insert_leads");
  let inserted: { id: string; created_at: Date }[];
  try {
    inserted = await tx.$queryRawUnsafe(INSERT_LEADS + returning, ...values);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await tx.$executeRawUnsafe("rollback to savepoint insert_leads");
    inserted = await tx.$queryRawUnsafe(`${INSERT_LEADS} on conflict (workspace_id, phone) do nothing${returning}`, ...values);
  }
  const createdAt = new Map(inserted.map((r) => [r.id, r.created_at]));
  const created: Lead[] = [];
  const skipped: Candidate[] = [];
  candidates.forEach((c, i) => {
    const id = ids[i]!;
    const at = createdAt.get(id);
    if (!at) return skipped.push(c);
    const { lead } = c;
    created.push({
    id,
    workspaceId: claim.workspaceId,
    phone: lead.phone,
    name: lead.name ?? null,
    email: lead.email ?? null,
    businessName: lead.businessName ?? null,
    timezone: lead.timezone ?? null,
    status: "new",
    tags: [],
    metadata: lead.metadata,
    formResponses: {},
    source: IMPORT_SOURCE,
    optedOutVoice: optOuts.get(lead.phone)?.has("voice") ?? false,
    optedOutWhatsapp: optOuts.get(lead.phone)?.has("whatsapp") ?? false,
      createdAt: at,
      updatedAt: at,
    });
  });
  return { created, skipped };
}

async function addTimelineEntries(tx: SqlTx, claim: ImportClaim, leads: Lead[]): Promise<void> {
  if (!leads.length) return;
  await tx.$executeRawUnsafe(
    `insert into timeline_entries (id, workspace_id, lead_id, kind, summary, data, occurred_at)
     select t.id, $1, t.lead_id, 'lead_created', 'Lead created (import)', $2::jsonb, now() from unnest($3::text[], $4::text[]) as t(id, lead_id)`,
    claim.workspaceId,
    JSON.stringify({ source: IMPORT_SOURCE, import_id: claim.id }),
    leads.map(() => newId("tl")),
    leads.map((l) => l.id),
  );
}

async function recordRejections(tx: SqlTx, importId: string, rejections: Rejection[]): Promise<void> {
  if (!rejections.length) return;
  await tx.$executeRawUnsafe(
    `insert into lead_import_rejections (import_id, row_number, kind, errors, duplicate_of_row, duplicate_of_lead_id)
     select $1, r.row_number, r.kind, r.errors, r.duplicate_of_row, r.duplicate_of_lead_id
     from unnest($2::int[], $3::text[], $4::jsonb[], $5::int[], $6::text[]) as r(row_number, kind, errors, duplicate_of_row, duplicate_of_lead_id)`,
    importId,
    rejections.map((r) => r.row),
    rejections.map((r) => r.kind),
    rejections.map((r) => JSON.stringify(r.errors)),
    rejections.map((r) => r.duplicateOfRow),
    rejections.map((r) => r.duplicateOfLeadId),
  );
}

/** Applies rows (in file order, all after the claim's checkpoint) and moves the checkpoint past them. */
export async function applyBatch(pool: pg.Pool, claim: ImportClaim, rows: CsvRow[]): Promise<BatchOutcome> {
  return pgTxRunner(pool).transaction(async (tx) => {
    await holdLease(tx, claim);
    const rejections: Rejection[] = [];
    const candidates: Candidate[] = [];
    for (const row of rows) {
      if ("errors" in row) rejections.push({ row: row.row, kind: "invalid", errors: rowErrors(row.errors), duplicateOfRow: null, duplicateOfLeadId: null });
      else if ("duplicateOf" in row) rejections.push({ row: row.row, kind: "duplicate", errors: [], duplicateOfRow: row.duplicateOf, duplicateOfLeadId: null });
      else candidates.push(row);
    }
    const known = await leadIdsByPhone(tx, claim.workspaceId, candidates.map((c) => c.lead.phone));
    const fresh = candidates.filter((c) => !known.has(c.lead.phone));
    const { created, skipped } = await insertLeads(tx, claim, fresh, await optOutsByPhone(tx, claim.workspaceId, fresh.map((c) => c.lead.phone)));
    const taken = await leadIdsByPhone(tx, claim.workspaceId, skipped.map((c) => c.lead.phone));
    const repeats = [
      ...candidates.filter((c) => known.has(c.lead.phone)).map((c) => ({ row: c.row, leadId: known.get(c.lead.phone)! })),
      ...skipped.map((c) => ({ row: c.row, leadId: taken.get(c.lead.phone) ?? null })),
    ];
    for (const r of repeats) rejections.push({ row: r.row, kind: "duplicate", errors: [], duplicateOfRow: null, duplicateOfLeadId: r.leadId });

    await addTimelineEntries(tx, claim, created);
    await emitLeadsCreated(tx, created);
    if (claim.campaignId && candidates.length) {
      // The leads the file names, new or not: the campaign calls them all.
      const named = [...created.map((l) => l.id), ...repeats.flatMap((r) => (r.leadId ? [r.leadId] : []))];
      await emitLeadsImported(tx, { workspaceId: claim.workspaceId, importId: claim.id, campaignId: claim.campaignId, leadIds: [...new Set(named)], firstRow: rows[0]!.row, lastRow: rows[rows.length - 1]!.row });
    }
    await recordRejections(tx, claim.id, rejections);
    const outcome = { created: created.length, duplicates: rejections.filter((r) => r.kind === "duplicate").length, invalid: rejections.filter((r) => r.kind === "invalid").length };
    await tx.$executeRawUnsafe(
      `update lead_imports set row_count = row_count + $2, created_count = created_count + $3, duplicate_count = duplicate_count + $4,
         invalid_count = invalid_count + $5, checkpoint_row = $6, updated_at = now() where id = $1`,
      claim.id,
      rows.length,
      outcome.created,
      outcome.duplicates,
      outcome.invalid,
      rows[rows.length - 1]!.row,
    );
    return outcome;
  });
}
