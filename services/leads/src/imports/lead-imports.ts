// An import's life on the request side: the upload arrives in numbered chunks, is checked once
// complete (header, size) and queued for the worker; clients then read its progress and rejections.
import type pg from "pg";
import { isSupportedCountry } from "libphonenumber-js/max";
import { NotFoundError, PreconditionError, ValidationError, type FieldError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { LeadImport, LeadImportRejection, PrismaClient } from "../generated/prisma/client.ts";
import type { Settings } from "../domain/workspace-settings";
import { csvRows, MAPPING_TARGETS, type MappingTarget } from "./csv-rows";
import { storedFile } from "./stored-file";

/** Woken by a queued import; the workers LISTEN here. */
export const IMPORTS_CHANNEL = "leads_imports";
/** gRPC messages stay far below their 4 MB limit; the gateway sends about 256 KB. */
const MAX_CHUNK_BYTES = 1024 * 1024;
const MAX_MAPPING_ENTRIES = 200;
const SUMMARY_ERROR_ROWS = 100;

export interface StartImportInput {
  workspaceId: string;
  campaignId?: string;
  defaultCountry?: string;
  mapping: Record<string, string>;
}

export interface ImportView {
  import: LeadImport;
  /** The field errors of the first invalid rows, in file order. */
  firstErrors: LeadImportRejection[];
}

export interface RejectionPage {
  items: LeadImportRejection[];
  nextCursor: string;
}

function checkMapping(mapping: Record<string, string>): Record<string, MappingTarget> {
  const errors: FieldError[] = [];
  const entries = Object.entries(mapping);
  if (entries.length > MAX_MAPPING_ENTRIES) errors.push({ path: "mapping", message: `at most ${MAX_MAPPING_ENTRIES} columns` });
  for (const [header, target] of entries) {
    if (!header.trim() || header.length > 200) errors.push({ path: "mapping", message: "a header is 1 to 200 characters" });
    if (!(MAPPING_TARGETS as readonly string[]).includes(target)) errors.push({ path: `mapping.${header}`, message: `one of ${MAPPING_TARGETS.join(", ")}` });
  }
  if (errors.length) throw new ValidationError("invalid import", errors);
  return mapping as Record<string, MappingTarget>;
}

function checkCountry(country: string): string {
  if (!/^[A-Z]{2}$/.test(country) || !isSupportedCountry(country))
    throw new ValidationError("invalid import", [{ path: "default_country", message: "an ISO 3166-1 alpha-2 country code, e.g. US" }]);
  return country;
}

// Cursors over rejections are the last row number of a page, opaque to clients.
const encodeRowCursor = (row: number) => Buffer.from(`row:${row}`).toString("base64url");
function decodeRowCursor(cursor: string): number {
  const match = /^row:(\d{1,9})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw new ValidationError("invalid cursor", [{ path: "cursor", message: "not a cursor from a previous page" }]);
  return Number(match[1]);
}

export class LeadImports {
  constructor(
    private readonly db: PrismaClient,
    private readonly pool: pg.Pool,
  ) {}

  /** Opens an upload after checking everything that does not need the file. */
  async start(input: StartImportInput): Promise<string> {
    const mapping = checkMapping(input.mapping);
    const campaignId = input.campaignId?.trim() || null;
    if (campaignId && campaignId.length > 64) throw new ValidationError("invalid import", [{ path: "campaign_id", message: "at most 64 characters" }]);
    const workspace = await this.db.workspace.findUnique({ where: { id: input.workspaceId }, select: { settings: true } });
    if (!workspace) throw new NotFoundError("workspace", input.workspaceId);
    // Fixed now, so a settings change while the import waits does not change how its rows read.
    const country = input.defaultCountry ? checkCountry(input.defaultCountry) : ((workspace.settings as Settings).default_country ?? null);
    const created = await this.db.leadImport.create({
      data: { id: newId("imp"), workspaceId: input.workspaceId, campaignId, defaultCountry: country, mapping },
    });
    return created.id;
  }

  /** Stores one chunk; the same seq sent again (a retry) is stored once. */
  async appendChunk(workspaceId: string, importId: string, seq: number, data: Uint8Array): Promise<void> {
    if (seq < 0) throw new ValidationError("invalid chunk", [{ path: "seq", message: "0 or more" }]);
    if (data.length === 0 || data.length > MAX_CHUNK_BYTES) throw new ValidationError("invalid chunk", [{ path: "data", message: `1 to ${MAX_CHUNK_BYTES} bytes` }]);
    await this.upload(workspaceId, importId);
    await this.db.leadImportChunk.createMany({ data: [{ importId, seq, data: new Uint8Array(data) }], skipDuplicates: true });
    // Keeps a slow upload from being swept as abandoned.
    await this.db.leadImport.update({ where: { id: importId }, data: { updatedAt: new Date() } });
  }

  /**
   * Closes the upload: every chunk present, not empty, a usable header. Then the import is queued
   * and a worker is woken. A file refused here is dropped, before any row is applied.
   * Finishing twice answers the import as it stands.
   */
  async finish(workspaceId: string, importId: string, totalChunks: number): Promise<ImportView> {
    const found = await this.find(workspaceId, importId);
    if (found.status !== "uploading") return this.view(found);
    const [stored] = await this.db.$queryRawUnsafe<{ chunks: number; bytes: bigint; last: number | null }[]>(
      "select count(*)::int as chunks, coalesce(sum(length(data)), 0)::bigint as bytes, max(seq) as last from lead_import_chunks where import_id = $1",
      importId,
    );
    try {
      if (totalChunks === 0 && stored!.chunks === 0) throw new ValidationError("the file is empty", [{ path: "file", message: "is empty" }]);
      if (stored!.chunks !== totalChunks || stored!.last !== totalChunks - 1)
        throw new ValidationError("incomplete upload", [{ path: "total_chunks", message: `${totalChunks} announced, ${stored!.chunks} stored` }]);
      await this.checkHeader(found);
    } catch (err) {
      await this.abort(workspaceId, importId);
      throw err;
    }
    const queued = await this.db.$transaction(async (tx) => {
      const updated = await tx.leadImport.update({ where: { id: importId }, data: { status: "queued", chunkCount: totalChunks, byteCount: stored!.bytes } });
      await tx.$executeRawUnsafe(`select pg_notify('${IMPORTS_CHANNEL}', '')`);
      return updated;
    });
    return this.view(queued);
  }

  /** Drops an unfinished upload and its chunks; a queued or later import is left alone. */
  async abort(workspaceId: string, importId: string): Promise<void> {
    await this.db.leadImport.deleteMany({ where: { id: importId, workspaceId, status: "uploading" } });
  }

  async get(workspaceId: string, importId: string): Promise<ImportView> {
    const found = await this.find(workspaceId, importId);
    if (found.status === "uploading") throw new NotFoundError("import", importId);
    return this.view(found);
  }

  /** Every rejected row (invalid and duplicate) in file order. */
  async rejections(workspaceId: string, importId: string, limit: number, cursor?: string): Promise<RejectionPage> {
    const after = cursor ? decodeRowCursor(cursor) : 0;
    await this.get(workspaceId, importId);
    const rows = await this.db.leadImportRejection.findMany({ where: { importId, rowNumber: { gt: after } }, orderBy: { rowNumber: "asc" }, take: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? encodeRowCursor(items[items.length - 1]!.rowNumber) : "" };
  }

  private async find(workspaceId: string, importId: string): Promise<LeadImport> {
    // Scoped by workspace: another tenant's import is indistinguishable from a missing one.
    const found = await this.db.leadImport.findFirst({ where: { id: importId, workspaceId } });
    if (!found) throw new NotFoundError("import", importId);
    return found;
  }

  private async upload(workspaceId: string, importId: string): Promise<void> {
    const found = await this.find(workspaceId, importId);
    if (found.status !== "uploading") throw new PreconditionError(`import ${importId} is already ${found.status}`, { status: found.status });
  }

  /** Reads the file up to its first data row: the header errors csvRows would raise later, now. */
  private async checkHeader(found: LeadImport): Promise<void> {
    const file = storedFile(this.pool, found.id);
    try {
      const rows = csvRows(file, { defaultCountry: found.defaultCountry ?? undefined, mapping: found.mapping as Record<string, MappingTarget> });
      await rows.next();
      await rows.return(undefined);
    } finally {
      file.destroy();
    }
  }

  private async view(found: LeadImport): Promise<ImportView> {
    const firstErrors = found.invalidCount
      ? await this.db.leadImportRejection.findMany({ where: { importId: found.id, kind: "invalid" }, orderBy: { rowNumber: "asc" }, take: SUMMARY_ERROR_ROWS })
      : [];
    return { import: found, firstErrors };
  }
}
