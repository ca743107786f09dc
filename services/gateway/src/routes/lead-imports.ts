import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { problem } from "@parley/errors";
import { importRejectionJson, leadImportJson } from "../http/mappers";
import { sendProblem } from "../http/problems";
import { workspaceOf } from "../http/principal";
import { IdParams, Nullable, page, PageQuery, problemResponses, Timestamp } from "../http/schemas";
import { stageUpload, UploadBrokenError, UploadTooLargeError } from "../http/staged-upload";
import type { RouteDeps } from "./deps";

export interface ImportRouteOptions {
  /** IMPORT_MAX_BYTES: the largest file accepted. */
  maxBytes: number;
}

const MAPPING_TARGETS = ["phone", "name", "email", "business_name", "timezone", "metadata"] as const;
const MAPPING_PARAM = /^mapping\[(.+)\]$/;
/** What a multipart envelope may add to the file's size before Content-Length alone proves it too large. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const RowErrorFields = { field: Type.String({ examples: ["phone"] }), message: Type.String() };

const LeadImportSchema = Type.Object(
  {
    id: Type.String({ examples: ["imp_01JD8V6Q2Z3X4Y5W6V7U8T9S0R"] }),
    status: Type.Union([Type.Literal("queued"), Type.Literal("running"), Type.Literal("completed"), Type.Literal("failed")]),
    counts: Type.Object(
      { rows: Type.Integer(), created: Type.Integer(), duplicates: Type.Integer(), invalid: Type.Integer() },
      { description: "data rows read so far (the header excluded): rows = created + duplicates + invalid" },
    ),
    errors: Type.Array(Type.Object({ row: Type.Integer({ description: "the line in the file; the header is line 1" }), ...RowErrorFields }), {
      description: "the field errors of the first 100 invalid rows; GET /v1/leads/imports/{id}/errors lists every rejected row",
    }),
    campaign_id: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
    error: Nullable(Type.String({ description: "why a failed import failed (the rows before the failure stay applied)" })),
  },
  { $id: "LeadImport" },
);

const ImportRejectionSchema = Type.Object(
  {
    row: Type.Integer({ description: "the line in the file; the header is line 1" }),
    kind: Type.Union([Type.Literal("invalid"), Type.Literal("duplicate")]),
    errors: Type.Array(Type.Object(RowErrorFields), { description: "what is wrong with an invalid row" }),
    duplicate_of: Nullable(
      Type.Union([
        Type.Object({ row: Type.Integer({ description: "an earlier line of the file with the same phone" }) }),
        Type.Object({ lead_id: Type.String({ description: "the lead that already had this phone" }) }),
      ]),
    ),
  },
  { $id: "ImportRejection" },
);

const ImportBody = Type.Object({ import: Type.Ref("LeadImport") });

const UPLOAD_DESCRIPTION = `Send the CSV as the request body (\`Content-Type: text/csv\`) or as the one file of a \`multipart/form-data\` form (field \`file\`). The file is streamed through, never held whole; at most IMPORT_MAX_BYTES (50 MB by default), else 413.

The first line names the columns: \`phone\` (required; also \`phone_number\`, \`mobile\`, \`telephone\`), \`name\` (\`full_name\`, \`contact\`, \`contact_name\`), \`email\`, \`business_name\` (\`company\`, \`business\`), \`timezone\` (\`time_zone\`, \`tz\`); headers match ignoring case and punctuation, and every other column goes to the lead's \`metadata\`.

Options are query parameters, whichever way the file is sent:
- \`mapping[<CSV header>]=<field>\` (deepObject style, one parameter per column) maps a column to \`phone\`, \`name\`, \`email\`, \`business_name\`, \`timezone\` or \`metadata\`, e.g. \`?mapping[Tel.]=phone&mapping[Company]=metadata\`;
- \`default_country\` (ISO 3166-1 alpha-2) reads national numbers; the workspace's \`default_country\` otherwise;
- \`campaign_id\` enqueues every lead the file names, new or already known, into that campaign (404 if there is no such campaign, 409 if it is completed or cancelled).

The answer (202) comes once the file is stored: the import is \`queued\` and runs in the background; follow it with GET /v1/leads/imports/{id}. An empty file, or a header without a phone column (or with two columns for one field), is refused with 400 and nothing is imported. Rows are de-duplicated by E.164 phone, within the file and against the workspace's leads; imported leads have \`source: "import"\`.

With an \`Idempotency-Key\`, the key is bound to the query and the file's bytes: sending the same file again replays the first answer (one import), another file is a 422.`;

/** `mapping[Tel.]=phone` arrives as a key of its own: folded into `mapping: { "Tel.": "phone" }` before validation. */
async function foldMapping(request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>;
  const mapping: Record<string, unknown> = {};
  for (const name of Object.keys(query)) {
    const header = MAPPING_PARAM.exec(name)?.[1];
    if (header === undefined) continue;
    mapping[header] = query[name];
    delete query[name];
  }
  // A plain `mapping=…` next to them is left to fail validation (not an object).
  if (Object.keys(mapping).length) query.mapping ??= mapping;
}

function tooLarge(reply: FastifyReply, maxBytes: number): FastifyReply {
  // The rest of the body is not worth reading: the connection goes with the answer.
  void reply.header("connection", "close");
  return sendProblem(reply, problem(413, "Payload Too Large", `The file is larger than ${maxBytes} bytes (IMPORT_MAX_BYTES).`, { max_bytes: maxBytes }));
}

/** The file's bytes, or the problem with the request. */
async function fileOf(request: FastifyRequest, maxBytes: number): Promise<Readable | { status: number; detail: string }> {
  if (request.isMultipart()) {
    const part = await request.file({ limits: { fileSize: maxBytes + 1, files: 1 } });
    if (!part) return { status: 400, detail: "The form has no file: send the CSV as the form's file field (file)." };
    const fields = Object.values(part.fields).flat();
    if (fields.some((f) => f?.type === "field"))
      return { status: 400, detail: "Form fields are not read: pass mapping, default_country and campaign_id as query parameters." };
    return part.file;
  }
  if (request.body instanceof Readable) return request.body;
  if (request.body === undefined) return { status: 400, detail: "The body is empty: send the CSV file." };
  return { status: 415, detail: "Send the CSV as text/csv, or as the file of a multipart/form-data form." };
}

const OPEN_CAMPAIGN = new Set(["draft", "running", "paused"]);

export async function importRoutes(root: FastifyInstance, { leads, voice }: RouteDeps, options: ImportRouteOptions): Promise<void> {
  root.addSchema(LeadImportSchema);
  root.addSchema(ImportRejectionSchema);
  await root.register(async (scope) => {
    // Both kinds of upload reach the handler as streams; neither is buffered by Fastify.
    scope.addContentTypeParser("text/csv", (_request, payload, done) => done(null, payload));
    await scope.register(multipart);
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ["leads"];

    app.post(
      "/v1/leads/imports",
      {
        config: { scope: "leads:write", streamedBody: true },
        preValidation: foldMapping,
        schema: {
          tags,
          summary: "Import leads from a CSV file (in the background)",
          description: UPLOAD_DESCRIPTION,
          querystring: Type.Object(
            {
              campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "enqueue the file's leads into this campaign" })),
              default_country: Type.Optional(Type.String({ pattern: "^[A-Z]{2}$", description: "ISO 3166-1 alpha-2, for national numbers", examples: ["US"] })),
              mapping: Type.Optional(
                Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Union(MAPPING_TARGETS.map((t) => Type.Literal(t))), {
                  maxProperties: 200,
                  description: "sent as one parameter per column, mapping[<CSV header>]=<field> (deepObject style), e.g. mapping[Tel.]=phone",
                }),
              ),
            },
            { additionalProperties: false },
          ),
          body: {
            content: {
              "text/csv": { schema: Type.String({ description: "the CSV file, header line first", examples: ["name,phone,email\nAda Lovelace,+14155550123,ada@example.com\n"] }) },
              "multipart/form-data": { schema: Type.Object({ file: Type.String({ format: "binary", description: "the CSV file" }) }, { required: ["file"] }) },
            },
          },
          response: { 202: ImportBody, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503) },
        },
      },
      async (request, reply) => {
        const workspaceId = workspaceOf(request.principal);
        const declared = Number(request.headers["content-length"] ?? Number.NaN);
        if (declared === 0) return sendProblem(reply, problem(400, "Invalid Request", "The body is empty: send the CSV file."));
        if (declared > options.maxBytes + (request.isMultipart() ? MULTIPART_OVERHEAD_BYTES : 0)) return tooLarge(reply, options.maxBytes);
        // A file meant for a campaign that cannot take it is refused before a byte is stored.
        if (request.query.campaign_id) {
          const { campaign } = await voice.getCampaign({ workspaceId, campaignId: request.query.campaign_id });
          if (!OPEN_CAMPAIGN.has(campaign!.status)) return sendProblem(reply, problem(409, "Conflict", `The campaign is ${campaign!.status}: it takes no more leads.`, { campaign_status: campaign!.status }));
        }
        const file = await fileOf(request, options.maxBytes);
        if (!(file instanceof Readable)) return sendProblem(reply, problem(file.status, file.status === 415 ? "Unsupported Media Type" : "Invalid Request", file.detail));

        const { importId } = await leads.startImport({
          workspaceId,
          campaignId: request.query.campaign_id ?? "",
          defaultCountry: request.query.default_country ?? "",
          mapping: request.query.mapping ?? {},
        });
        const ref = { workspaceId, importId };
        const drop = () => leads.abortImport(ref).catch((err: unknown) => request.log.warn({ err, import_id: importId }, "unfinished upload not dropped; it is swept later"));
        let staged;
        try {
          staged = await stageUpload(file, options.maxBytes, (seq, data) => leads.appendImportChunk({ ...ref, seq, data }).then(() => undefined));
        } catch (err) {
          await drop();
          if (err instanceof UploadTooLargeError) return tooLarge(reply, options.maxBytes);
          if (err instanceof UploadBrokenError) return sendProblem(reply, problem(400, "Invalid Request", err.message));
          throw err;
        }
        if (staged.bytes === 0) {
          await drop();
          return sendProblem(reply, problem(400, "Invalid Request", "The file is empty."));
        }
        if (request.claimIdempotency && !(await request.claimIdempotency(staged.digest))) {
          await drop();
          return reply;
        }
        const { import: created } = await leads.finishImport({ ...ref, totalChunks: staged.chunks });
        void reply.header("location", `/v1/leads/imports/${importId}`);
        return reply.code(202).send({ import: leadImportJson(created!) });
      },
    );

    app.get(
      "/v1/leads/imports/:id",
      {
        config: { scope: "leads:read" },
        schema: { tags, summary: "An import's status, counts and first errors", params: IdParams, response: { 200: ImportBody, ...problemResponses(401, 403, 404) } },
      },
      async (request) => {
        const { import: found } = await leads.getImport({ workspaceId: workspaceOf(request.principal), importId: request.params.id });
        return { import: leadImportJson(found!) };
      },
    );

    app.get(
      "/v1/leads/imports/:id/errors",
      {
        config: { scope: "leads:read" },
        schema: {
          tags,
          summary: "Every row an import rejected, invalid or duplicate, in file order",
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: page(Type.Ref("ImportRejection")), ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const res = await leads.listImportRejections({
          workspaceId: workspaceOf(request.principal),
          importId: request.params.id,
          limit: request.query.limit,
          cursor: request.query.cursor ?? "",
        });
        return { data: res.rejections.map(importRejectionJson), next_cursor: res.nextCursor || null };
      },
    );
  });
}
