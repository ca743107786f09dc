import type { AsyncService } from "@parley/grpc";
import type { leadsV1 } from "@parley/proto";
import { requireField } from "@parley/errors";
import type { LeadImportRejection } from "../generated/prisma/client.ts";
import type { RowError } from "../imports/apply-batch";
import type { ImportView, LeadImports } from "../imports/lead-imports";
import { pageLimit } from "./mappers";

type ImportRpcs = Pick<
  AsyncService<typeof leadsV1.LeadsServiceService>,
  "startImport" | "appendImportChunk" | "finishImport" | "abortImport" | "getImport" | "listImportRejections"
>;

const fieldErrors = (r: LeadImportRejection): leadsV1.ImportFieldError[] => (r.errors as unknown as RowError[]).map((e) => ({ row: r.rowNumber, ...e }));

function toLeadImport({ import: imp, firstErrors }: ImportView): leadsV1.LeadImport {
  return {
    id: imp.id,
    workspaceId: imp.workspaceId,
    status: imp.status,
    counts: { rows: imp.rowCount, created: imp.createdCount, duplicates: imp.duplicateCount, invalid: imp.invalidCount },
    errors: firstErrors.flatMap(fieldErrors),
    campaignId: imp.campaignId ?? "",
    createdAt: imp.createdAt,
    completedAt: imp.completedAt ?? undefined,
    error: imp.error ?? "",
  };
}

function toRejection(r: LeadImportRejection): leadsV1.ImportRejection {
  return { row: r.rowNumber, kind: r.kind, errors: fieldErrors(r), duplicateOfRow: r.duplicateOfRow ?? 0, duplicateOfLeadId: r.duplicateOfLeadId ?? "" };
}

export function importRpcs(imports: LeadImports): ImportRpcs {
  return {
    async startImport(req) {
      const importId = await imports.start({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        campaignId: req.campaignId,
        defaultCountry: req.defaultCountry,
        mapping: req.mapping,
      });
      return { importId };
    },
    async appendImportChunk(req) {
      await imports.appendChunk(requireField(req.workspaceId, "workspace_id"), requireField(req.importId, "import_id"), req.seq, req.data);
      return {};
    },
    async finishImport(req) {
      return { import: toLeadImport(await imports.finish(requireField(req.workspaceId, "workspace_id"), requireField(req.importId, "import_id"), req.totalChunks)) };
    },
    async abortImport(req) {
      await imports.abort(requireField(req.workspaceId, "workspace_id"), requireField(req.importId, "import_id"));
      return {};
    },
    async getImport(req) {
      return { import: toLeadImport(await imports.get(requireField(req.workspaceId, "workspace_id"), requireField(req.importId, "import_id"))) };
    },
    async listImportRejections(req) {
      const page = await imports.rejections(
        requireField(req.workspaceId, "workspace_id"),
        requireField(req.importId, "import_id"),
        pageLimit(req.limit),
        req.cursor || undefined,
      );
      return { rejections: page.items.map(toRejection), nextCursor: page.nextCursor };
    },
  };
}
