// CSV imports through the public API: the real gateway streaming uploads to the real leads service,
// whose worker applies them in the background.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { assertProblem, startTestStack, type Res, type TestStack } from "./test-stack";

const MAX_BYTES = 2_000_000;
let stack: TestStack;

before(async () => {
  stack = await startTestStack({ gatewayEnv: { IMPORT_MAX_BYTES: String(MAX_BYTES) } });
});

interface UploadOptions {
  token: string;
  query?: string;
  headers?: Record<string, string>;
}

async function answer(res: Response): Promise<Res> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** A text/csv upload; a generator body is streamed in pieces with no Content-Length. */
async function uploadCsv(body: string | (() => Generator<string>), { token, query = "", headers = {} }: UploadOptions): Promise<Res> {
  const stream = typeof body === "string" ? body : ReadableStream.from(body());
  return answer(
    await fetch(`${stack.base}/v1/leads/imports${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/csv", ...headers },
      body: stream,
      duplex: "half",
    } as RequestInit),
  );
}

async function uploadForm(form: FormData, { token, query = "", headers = {} }: UploadOptions): Promise<Res> {
  return answer(await fetch(`${stack.base}/v1/leads/imports${query}`, { method: "POST", headers: { authorization: `Bearer ${token}`, ...headers }, body: form }));
}

const fileForm = (csv: string) => {
  const form = new FormData();
  form.append("file", new Blob([csv], { type: "text/csv" }), "leads.csv");
  return form;
};

async function untilDone(token: string, id: string, seen: Res["body"][] = []) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await stack.call("GET", `/v1/leads/imports/${id}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    seen.push(res.body.import);
    if (["completed", "failed"].includes(res.body.import.status)) return res.body.import;
    if (Date.now() > deadline) throw new Error(`import ${id} still ${res.body.import.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function keyWith(adminKey: string, scopes: string[]): Promise<string> {
  const res = await stack.call("POST", "/v1/api-keys", { token: adminKey, body: { name: scopes.join(" "), scopes } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.secret;
}

test("a text/csv upload is queued at once and applied in the background; every rejected row is listed, page by page", async () => {
  const { key } = await stack.newWorkspace();
  const existing = await stack.call("POST", "/v1/leads", { token: key, body: { phone: "+34 612 00 00 09" } });
  assert.equal(existing.status, 201);
  const csv = [
    "Who,Tel.,E-mail,Notes",
    "Lucía,612 00 00 01,lucia@example.com,met at fair",
    "Bad phone,12,,",
    "Bad email,612 00 00 02,nope,",
    "Again,+34612000001,,",
    "Known,612000009,,",
    ",612 00 00 03,,",
  ].join("\n");
  const res = await uploadCsv(csv, { token: key, query: "?mapping[Tel.]=phone&mapping[Who]=name&mapping[E-mail]=email" });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const id = res.body.import.id as string;
  assert.equal(res.headers.get("location"), `/v1/leads/imports/${id}`);
  assert.deepEqual([res.body.import.status, res.body.import.counts, res.body.import.campaign_id], ["queued", { rows: 0, created: 0, duplicates: 0, invalid: 0 }, null]);

  const done = await untilDone(key, id);
  assert.equal(done.status, "completed");
  assert.deepEqual(done.counts, { rows: 6, created: 2, duplicates: 2, invalid: 2 });
  assert.ok(done.completed_at);
  assert.equal(done.error, null);
  assert.deepEqual(done.errors, [
    { row: 3, field: "phone", message: "not a valid phone number" },
    { row: 4, field: "email", message: "not a valid email address" },
  ]);

  const first = await stack.call("GET", `/v1/leads/imports/${id}/errors?limit=3`, { token: key });
  assert.equal(first.status, 200);
  assert.ok(first.body.next_cursor);
  const rest = await stack.call("GET", `/v1/leads/imports/${id}/errors?limit=3&cursor=${first.body.next_cursor}`, { token: key });
  assert.equal(rest.body.next_cursor, null);
  assert.deepEqual([...first.body.data, ...rest.body.data], [
    { row: 3, kind: "invalid", errors: [{ field: "phone", message: "not a valid phone number" }], duplicate_of: null },
    { row: 4, kind: "invalid", errors: [{ field: "email", message: "not a valid email address" }], duplicate_of: null },
    { row: 5, kind: "duplicate", errors: [], duplicate_of: { row: 2 } },
    { row: 6, kind: "duplicate", errors: [], duplicate_of: { lead_id: existing.body.id } },
  ]);

  const leads = await stack.call("GET", "/v1/leads?q=Lucía", { token: key });
  assert.deepEqual(
    leads.body.data.map((l: { phone: string; source: string; email: string; metadata: object }) => [l.phone, l.source, l.email, l.metadata]),
    [["+34612000001", "import", "lucia@example.com", { notes: "met at fair" }]],
  );
});

test("a multipart upload into a campaign: progress shows while the rows are applied, then the exact counts", async () => {
  const { key } = await stack.newWorkspace();
  const campaign = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Spring" } });
  const rows = 30_000;
  let csv = "name,phone\n";
  for (let i = 0; i < rows; i++) csv += `Lead ${i},+1415${String(2_000_000 + (i % 29_000)).padStart(7, "0")}\n`;
  const res = await uploadForm(fileForm(csv), { token: key, query: `?campaign_id=${campaign.body.id}&default_country=US` });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.body.import.campaign_id, campaign.body.id);
  const seen: Res["body"][] = [];
  const done = await untilDone(key, res.body.import.id, seen);
  assert.deepEqual([done.status, done.counts], ["completed", { rows, created: 29_000, duplicates: 1_000, invalid: 0 }]);
  const progress = seen.map((s) => s.counts.rows);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), "counts only grow");
  assert.ok(
    seen.some((s) => s.status === "running" && s.counts.rows > 0 && s.counts.rows < rows),
    `progress seen before the end: ${JSON.stringify(seen.map((s) => [s.status, s.counts.rows]))}`,
  );
  // Each batch's leads reach the campaign's queue (voice consumes leads.import_batch), once each.
  const deadline = Date.now() + 60_000;
  let total = 0;
  while ((total = (await stack.call("GET", `/v1/campaigns/${campaign.body.id}`, { token: key })).body.progress.total) < 29_000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(total, 29_000);
});

test("a file streamed without Content-Length (540 KB) is passed through in chunks", async () => {
  const { key } = await stack.newWorkspace();
  function* lines() {
    yield "phone,plan\n";
    for (let i = 0; i < 10_000; i++) yield `+1415${String(3_000_000 + i).padStart(7, "0")},${"x".repeat(40)}\n`;
  }
  const res = await uploadCsv(lines, { token: key });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const done = await untilDone(key, res.body.import.id);
  assert.deepEqual([done.status, done.counts.created], ["completed", 10_000]);
});

test("refused uploads: empty, no file, another media type, no phone column, a bad mapping, too large", async () => {
  const { key } = await stack.newWorkspace();
  assertProblem(await uploadCsv("", { token: key }), 400);
  const noFile = new FormData();
  noFile.append("note", "hello");
  assertProblem(await uploadForm(noFile, { token: key }), 400);
  const fieldsFirst = new FormData();
  fieldsFirst.append("mapping", '{"phone":"phone"}');
  fieldsFirst.append("file", new Blob(["phone\n+14155550123\n"]), "leads.csv");
  const refusedFields = await uploadForm(fieldsFirst, { token: key });
  assertProblem(refusedFields, 400);
  assert.match(refusedFields.body.detail, /query parameters/);
  assertProblem(await stack.call("POST", "/v1/leads/imports", { token: key, body: { phone: "+14155550123" } }), 415);
  const cutOff = await answer(
    await fetch(`${stack.base}/v1/leads/imports`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "multipart/form-data; boundary=b" },
      body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nphone\n+14155550123\n',
    }),
  );
  assertProblem(cutOff, 400);
  assert.match(cutOff.body.detail, /^The upload could not be read/);

  const noPhone = await uploadCsv("name,email\nAda,ada@example.com\n", { token: key });
  assertProblem(noPhone, 400);
  assert.equal(noPhone.body.detail, "the CSV has no phone column");
  assert.equal(noPhone.body.errors[0].path, "file.header");
  const badMapping = await uploadCsv("Tel\n+14155550123\n", { token: key, query: "?mapping[Tel]=telephone" });
  assertProblem(badMapping, 400);
  assert.equal(badMapping.body.errors[0].path, "querystring.mapping.Tel");
  assertProblem(await uploadCsv("phone\n+14155550123\n", { token: key, query: "?default_country=Spain" }), 400);
  assertProblem(await uploadCsv("phone\n+14155550123\n", { token: key, query: "?colour=blue" }), 400);

  const big = `phone\n${"+14155550123\n".repeat(Math.ceil(MAX_BYTES / 13) + 10)}`;
  const declared = await uploadCsv(big, { token: key });
  assertProblem(declared, 413);
  assert.equal(declared.body.max_bytes, MAX_BYTES);
  function* endless() {
    yield "phone\n";
    for (let i = 0; i < 200; i++) yield "+14155550123\n".repeat(1_000);
  }
  assertProblem(await uploadCsv(endless, { token: key }), 413);
  assertProblem(await uploadForm(fileForm(big), { token: key }), 413);
});

test("another workspace's import is not found; uploading takes leads:write and reading leads:read", async () => {
  const a = await stack.newWorkspace();
  const b = await stack.newWorkspace();
  const res = await uploadCsv("phone\n+14155550123\n", { token: a.key });
  assert.equal(res.status, 202);
  const id = res.body.import.id as string;
  assertProblem(await stack.call("GET", `/v1/leads/imports/${id}`, { token: b.key }), 404);
  assertProblem(await stack.call("GET", `/v1/leads/imports/${id}/errors`, { token: b.key }), 404);
  assertProblem(await stack.call("GET", "/v1/leads/imports/imp_01m8473zbprjr7pkt1p31023g0", { token: a.key }), 404);

  const reader = await keyWith(a.key, ["leads:read"]);
  const writer = await keyWith(a.key, ["leads:write"]);
  assertProblem(await uploadCsv("phone\n+14155550124\n", { token: reader }), 403);
  assertProblem(await stack.call("GET", `/v1/leads/imports/${id}`, { token: writer }), 403);
  assert.equal((await stack.call("GET", `/v1/leads/imports/${id}`, { token: reader })).status, 200);
  assert.equal((await uploadCsv("phone\n+14155550124\n", { token: writer })).status, 202);
  assertProblem(await uploadCsv("phone\n+14155550125\n", { token: "pk_unknown" }), 401);
});

test("Idempotency-Key: the same file again replays the first answer, as text or as a form; another file is a 422", async () => {
  const { key } = await stack.newWorkspace();
  const csv = "phone\n+14155550130\n+14155550131\n";
  const headers = { "idempotency-key": "import-1" };
  const first = await uploadCsv(csv, { token: key, headers });
  assert.equal(first.status, 202);
  const again = await uploadCsv(csv, { token: key, headers });
  assert.equal(again.status, 202);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.equal(again.body.import.id, first.body.import.id);
  const asForm = await uploadForm(fileForm(csv), { token: key, headers });
  assert.equal(asForm.body.import.id, first.body.import.id, "the key covers the file's bytes, not the envelope");
  assertProblem(await uploadCsv("phone\n+14155550132\n", { token: key, headers }), 422);
  await untilDone(key, first.body.import.id);
  const leads = await stack.call("GET", "/v1/leads", { token: key });
  assert.equal(leads.body.data.length, 2, "one import");
});

test("the OpenAPI document describes both kinds of upload and the mapping convention", async () => {
  const doc = (await stack.call("GET", "/openapi.json")).body;
  const post = doc.paths["/v1/leads/imports"].post;
  assert.deepEqual(Object.keys(post.requestBody.content).sort(), ["multipart/form-data", "text/csv"]);
  assert.match(post.description, /mapping\[<CSV header>\]=<field>/);
  assert.ok(doc.paths["/v1/leads/imports/{id}/errors"].get);
  assert.ok(doc.components.schemas.LeadImport);
});
