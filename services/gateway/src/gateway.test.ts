// The public API as a client sees it: the real gateway in front of the real leads service, on a
// database and subject prefix of this run.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createHmac } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { streamName } from "@parley/bus";
import { Keyring } from "@parley/crypto";
import { cleanup, createTestDatabase, NATS_URL, uniqueId } from "@parley/testing";
import { startGateway } from "./app";
import { ADMIN, assertProblem, RECORDING_SECRET, startTestStack, type RequestOptions, type Res, type TestStack } from "./test-stack";

let stack: TestStack;
let base = "";
let leadsGrpc = "";
let voiceDbUrl = "";
let subjectPrefix = "";
let sim: TestStack["sim"];
let simUrl = "";

before(async () => {
  stack = await startTestStack();
  ({ base, leadsGrpc, voiceDbUrl, prefix: subjectPrefix, sim, simUrl } = stack);
});

const call = (method: string, path: string, options?: RequestOptions): Promise<Res> => stack.call(method, path, options);
const newWorkspace = (name?: string) => stack.newWorkspace(name);
const callableLead = (key: string, phone: string) => stack.callableLead(key, phone);
const allDayWorkspace = (extra?: Record<string, unknown>) => stack.allDayWorkspace(extra);
const untilEnded = (key: string, id: string) => stack.untilEnded(key, id);

test("the operator creates a workspace and gets its admin key once; only the operator token may", async () => {
  const res = await call("POST", "/v1/workspaces", { token: ADMIN, body: { name: "Acme", timezone: "Europe/Madrid" } });
  assert.equal(res.status, 201);
  assert.match(res.body.workspace.id, /^ws_/);
  assert.deepEqual(res.body.api_key.scopes, ["admin"]);
  assert.match(res.body.api_key.secret, /^pk_/);
  assertProblem(await call("POST", "/v1/workspaces", { token: res.body.api_key.secret, body: { name: "Nope" } }), 401);
  assertProblem(await call("POST", "/v1/workspaces", { body: { name: "Nope" } }), 401);
  const me = await call("GET", "/v1/workspace", { token: res.body.api_key.secret });
  assert.equal(me.status, 200);
  assert.equal(me.body.name, "Acme");
  assert.equal(me.body.settings.retention_days, 365);
  const keys = await call("GET", "/v1/api-keys", { token: res.body.api_key.secret });
  assert.equal(keys.body.data[0].secret, undefined, "a secret is never listed");
});

test("a lead's life: create (E.164), duplicate in another format is 409 with the existing id, read, update, timeline, opt-out, delete", async () => {
  const { key } = await newWorkspace();
  const created = await call("POST", "/v1/leads", { token: key, body: { phone: "+34 612 34 56 78", name: "Lucía", tags: ["Hot"], metadata: { source_campaign: "fb" } } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.phone, "+34612345678");
  assert.equal(created.headers.get("location"), `/v1/leads/${created.body.id}`);
  const dup = await call("POST", "/v1/leads", { token: key, body: { phone: "612 345 678" } });
  assertProblem(dup, 409);
  assert.equal(dup.body.existing_lead_id, created.body.id);

  const id = created.body.id as string;
  const read = await call("GET", `/v1/leads/${id}`, { token: key });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.timeline.map((e: { kind: string }) => e.kind), ["lead_created"]);

  const patched = await call("PATCH", `/v1/leads/${id}`, { token: key, body: { name: null, status: "qualified", metadata: { budget: 5000 } } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  assert.equal(patched.body.name, null);
  assert.equal(patched.body.status, "qualified");
  assert.deepEqual(patched.body.metadata, { source_campaign: "fb", budget: 5000 });

  const optOut = await call("POST", `/v1/leads/${id}/opt-out`, { token: key, body: { channels: ["whatsapp"], reason: "asked by phone" } });
  assert.equal(optOut.status, 200);
  assert.deepEqual(optOut.body.opted_out, { voice: false, whatsapp: true });

  const timeline = await call("GET", `/v1/leads/${id}/timeline?limit=2`, { token: key });
  assert.equal(timeline.body.data.length, 2);
  assert.ok(timeline.body.next_cursor);
  const rest = await call("GET", `/v1/leads/${id}/timeline?limit=2&cursor=${timeline.body.next_cursor}`, { token: key });
  assert.ok(rest.body.data.length >= 1);
  const kinds = [...timeline.body.data, ...rest.body.data].map((e: { kind: string }) => e.kind);
  assert.ok(kinds.includes("opted_out") && kinds.includes("lead_created"), kinds.join());

  const deleted = await fetch(`${base}/v1/leads/${id}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } });
  assert.equal(deleted.status, 204);
  assertProblem(await call("GET", `/v1/leads/${id}`, { token: key }), 404);
});

test("lists page by cursor with filters; a bad limit or cursor is a 400", async () => {
  const { key } = await newWorkspace();
  for (let i = 0; i < 5; i++) await call("POST", "/v1/leads", { token: key, body: { phone: `+3461100000${i}`, tags: i % 2 ? ["odd"] : [] } });
  const first = await call("GET", "/v1/leads?limit=2", { token: key });
  assert.equal(first.body.data.length, 2);
  const second = await call("GET", `/v1/leads?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`, { token: key });
  const third = await call("GET", `/v1/leads?limit=2&cursor=${encodeURIComponent(second.body.next_cursor)}`, { token: key });
  const phones = [...first.body.data, ...second.body.data, ...third.body.data].map((l: { phone: string }) => l.phone);
  assert.equal(new Set(phones).size, 5);
  assert.equal(third.body.next_cursor, null);
  assert.equal((await call("GET", "/v1/leads?tag=odd", { token: key })).body.data.length, 2);
  assertProblem(await call("GET", "/v1/leads?limit=500", { token: key }), 400);
  assertProblem(await call("GET", "/v1/leads?cursor=garbage", { token: key }), 400);
});

test("tenant isolation: another workspace's lead is 404, a missing scope is 403, a revoked key is 401", async () => {
  const a = await newWorkspace("A");
  const b = await newWorkspace("B");
  const lead = await call("POST", "/v1/leads", { token: a.key, body: { phone: "+34622000001" } });
  for (const [method, path, body] of [
    ["GET", `/v1/leads/${lead.body.id}`, undefined],
    ["PATCH", `/v1/leads/${lead.body.id}`, { name: "x" }],
    ["DELETE", `/v1/leads/${lead.body.id}`, undefined],
    ["GET", `/v1/leads/${lead.body.id}/timeline`, undefined],
    ["POST", `/v1/leads/${lead.body.id}/opt-out`, { channels: ["voice"] }],
  ] as const) {
    assertProblem(await call(method, path, { token: b.key, body }), 404);
  }
  assert.equal((await call("GET", "/v1/leads", { token: b.key })).body.data.length, 0);

  const reader = await call("POST", "/v1/api-keys", { token: a.key, body: { name: "reporting", scopes: ["leads:read"] } });
  assert.equal(reader.status, 201);
  assert.equal((await call("GET", `/v1/leads/${lead.body.id}`, { token: reader.body.secret })).status, 200);
  const denied = await call("POST", "/v1/leads", { token: reader.body.secret, body: { phone: "+34622000002" } });
  assertProblem(denied, 403);
  assert.equal(denied.body.required_scope, "leads:write");
  assertProblem(await call("GET", "/v1/api-keys", { token: reader.body.secret }), 403);
  assertProblem(await call("DELETE", `/v1/api-keys/${reader.body.id}`, { token: b.key }), 404);

  const revoked = await call("DELETE", `/v1/api-keys/${reader.body.id}`, { token: a.key });
  assert.ok(revoked.body.revoked_at);
  const after = await call("GET", `/v1/leads/${lead.body.id}`, { token: reader.body.secret });
  assertProblem(after, 401);
  assert.equal(after.headers.get("www-authenticate"), 'Bearer realm="parley"');
  assertProblem(await call("GET", "/v1/leads", { token: "pk_not_a_key" }), 401);
});

test("bad input is a 4xx problem, never a 5xx: malformed JSON, wrong types, unknown fields, invalid phone, oversized body", async () => {
  const { key } = await newWorkspace();
  assertProblem(await call("POST", "/v1/leads", { token: key, raw: '{"phone": "+3461' }), 400);
  const wrong = await call("POST", "/v1/leads", { token: key, body: { phone: "+34633000001", tags: "vip", metadata: [] } });
  assertProblem(wrong, 400);
  assert.deepEqual(wrong.body.errors.map((e: { path: string }) => e.path).sort(), ["metadata", "tags"]);
  const unknown = await call("POST", "/v1/leads", { token: key, body: { phone: "+34633000001", nmae: "typo" } });
  assertProblem(unknown, 400);
  assert.deepEqual(unknown.body.errors, [{ path: "nmae", message: "is not a known field" }]);
  const phone = await call("POST", "/v1/leads", { token: key, body: { phone: "+1 000" } });
  assertProblem(phone, 400);
  assert.equal(phone.body.errors[0].path, "phone");
  assertProblem(await call("POST", "/v1/leads", { token: key, body: { phone: "+34633000001", metadata: { blob: "x".repeat(5000) } } }), 413);
  const xml = await fetch(`${base}/v1/leads`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/xml" }, body: "<lead/>" });
  assert.equal(xml.status, 415);
  const settings = await call("PATCH", "/v1/workspace", { token: key, body: { settings: { calling_hours: { start: "25:00", end: "18:00" } } } });
  assertProblem(settings, 400);
  assert.match(settings.body.errors[0].path, /^settings\.calling_hours\.start/);
  assertProblem(await call("POST", "/v1/leads/ld_missing/opt-out", { token: key, body: { channels: [] } }), 400);
  assertProblem(await call("GET", "/v1/nowhere", { token: key }), 404);
});

test("Idempotency-Key: the same request replays the first response, another body with the key is 422", async () => {
  const { key } = await newWorkspace();
  const headers = { "idempotency-key": `create-${uniqueId()}` };
  const first = await call("POST", "/v1/leads", { token: key, headers, body: { phone: "+34644000001", name: "Once" } });
  assert.equal(first.status, 201);
  const again = await call("POST", "/v1/leads", { token: key, headers, body: { phone: "+34644000001", name: "Once" } });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(again.body, first.body);
  assertProblem(await call("POST", "/v1/leads", { token: key, headers, body: { phone: "+34644000002" } }), 422);
  assert.equal((await call("GET", "/v1/leads", { token: key })).body.data.length, 1);
});

test("OpenAPI 3.1 describes the routes with their schemas, and /docs serves the reference", async () => {
  const doc = await call("GET", "/openapi.json");
  assert.equal(doc.status, 200);
  assert.equal(doc.body.openapi, "3.1.0");
  for (const path of ["/v1/workspaces", "/v1/workspace", "/v1/api-keys", "/v1/api-keys/{id}", "/v1/leads", "/v1/leads/{id}", "/v1/leads/{id}/timeline", "/v1/leads/{id}/opt-out"]) {
    assert.ok(doc.body.paths[path], `missing ${path}`);
  }
  assert.ok(doc.body.components.schemas.Lead.properties.phone);
  assert.ok(!doc.body.paths["/metrics"], "ops routes are not part of the public API");
  assert.equal((await fetch(`${base}/docs/`)).status, 200);
});

test("rate limit per key: RateLimit headers count down, then 429 with Retry-After; other keys are unaffected", async () => {
  const limited = await startGateway({
    DATABASE_URL: await createTestDatabase("gw_limit"),
    GATEWAY_PORT: "0",
    PARLEY_ADMIN_TOKEN: ADMIN,
    PARLEY_SUBJECT_PREFIX: subjectPrefix,
    LEADS_GRPC_ADDR: leadsGrpc,
    RATE_LIMIT_PER_MINUTE: "3",
    LOG_LEVEL: "silent",
  });
  cleanup(() => limited.stop());
  // Keys live in each gateway's database: issue them on this one.
  const issue = async () => {
    const res = await fetch(`${limited.url}/v1/workspaces`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
    return ((await res.json()) as { api_key: { secret: string } }).api_key.secret;
  };
  const [k1, k2] = [await issue(), await issue()];
  // Stay inside one window: the counter resets at each minute boundary.
  const intoMinute = new Date().getSeconds();
  if (intoMinute > 50) await new Promise((r) => setTimeout(r, (61 - intoMinute) * 1000));
  const get = (key: string) => fetch(`${limited.url}/v1/workspace`, { headers: { authorization: `Bearer ${key}` } });
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await get(k1);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("ratelimit-limit"), "3");
    remaining.push(res.headers.get("ratelimit-remaining") ?? "");
  }
  assert.deepEqual(remaining, ["2", "1", "0"]);
  const limitedRes = await get(k1);
  assert.equal(limitedRes.status, 429);
  assert.match(limitedRes.headers.get("content-type") ?? "", /problem\+json/);
  assert.ok(Number(limitedRes.headers.get("retry-after")) >= 1);
  assert.equal((await get(k2)).status, 200);
});

test("integrations: credentials are stored encrypted, never returned, validated per kind, and listed with their status", async () => {
  const { id: workspaceId, key } = await newWorkspace();
  const vapi = await call("PUT", "/v1/integrations/vapi", { token: key, body: { api_key: "sk-vapi-secret-1", phone_number_id: "pn_1", webhook_secret: "whsec-vapi" } });
  assert.equal(vapi.status, 200, JSON.stringify(vapi.body));
  assert.deepEqual(vapi.body.fields, ["api_key", "phone_number_id", "webhook_secret"]);
  assert.equal(vapi.body.key_id, "k1");
  assert.ok(!JSON.stringify(vapi.body).includes("sk-vapi-secret-1"));
  const twilio = await call("PUT", "/v1/integrations/twilio", { token: key, body: { account_sid: `AC${"a".repeat(32)}`, auth_token: "tw-token", whatsapp_from: "+14155550000" } });
  assert.equal(twilio.status, 200, JSON.stringify(twilio.body));

  const list = await call("GET", "/v1/integrations", { token: key });
  const byKind = Object.fromEntries(list.body.data.map((i: { kind: string; configured: boolean }) => [i.kind, i.configured]));
  assert.deepEqual(byKind, { vapi: true, bolna: false, retell: false, twilio: true, meta_whatsapp: false, openai: false, calcom: false });
  assert.ok(!JSON.stringify(list.body).includes("tw-token"));

  // At rest: sealed with AES-256-GCM, bound to the workspace and kind.
  const db = new pg.Client({ connectionString: voiceDbUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ sealed: string }>("select sealed from integrations where workspace_id = $1 and kind = 'vapi'", [workspaceId]);
    assert.ok(rows[0] && !rows[0].sealed.includes("sk-vapi"));
    assert.equal(JSON.parse(Keyring.parse(stack.encryptionKeys).open(rows[0].sealed, `integration/${workspaceId}/vapi`)).api_key, "sk-vapi-secret-1");
  } finally {
    await db.end();
  }

  const bad = await call("PUT", "/v1/integrations/retell", { token: key, body: { api_key: "", from_number: "415", extra: 1 } });
  assertProblem(bad, 400);
  assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ["api_key", "extra", "from_number"]);
  assertProblem(await call("PUT", "/v1/integrations/skype", { token: key, body: {} }), 400);
  const reader = await call("POST", "/v1/api-keys", { token: key, body: { name: "r", scopes: ["leads:read"] } });
  assertProblem(await call("PUT", "/v1/integrations/vapi", { token: reader.body.secret, body: {} }), 403);
  assertProblem(await call("GET", "/v1/integrations", { token: reader.body.secret }), 403);
});

test("webhook ingress: signed deliveries reach the WEBHOOKS stream once; forged ones are 401 and leave nothing", async () => {
  const { id: ws, key } = await newWorkspace();
  await call("PUT", "/v1/integrations/vapi", { token: key, body: { api_key: "sk", phone_number_id: "pn", webhook_secret: "vapi-hook-secret" } });
  await call("PUT", "/v1/integrations/retell", { token: key, body: { api_key: "retell-key", from_number: "+14155550000" } });
  await call("PUT", "/v1/integrations/bolna", { token: key, body: { api_key: "bk", webhook_secret: "bolna-url-token" } });
  const nc = await connect({ servers: NATS_URL });
  cleanup(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const stored = async (provider: string) =>
    (await jsm.streams.info(streamName("webhooks", subjectPrefix), { subjects_filter: `${subjectPrefix}.webhooks.${provider}.${ws}` })).state.subjects?.[`${subjectPrefix}.webhooks.${provider}.${ws}`] ?? 0;
  const post = (path: string, raw: string, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: raw });
  const hmac = (secret: string, ...parts: string[]) => parts.reduce((mac, p) => mac.update(p), createHmac("sha256", secret)).digest("hex");

  const vapi = JSON.stringify({ message: { type: "status-update", status: "ringing", call: { id: "c1", metadata: { parley_workspace_id: ws } } } });
  const signed = { "x-vapi-signature": hmac("vapi-hook-secret", vapi) };
  const first = await post("/webhooks/vapi", vapi, signed);
  assert.equal(first.status, 200);
  assert.deepEqual(await first.json(), { received: true, duplicate: false });
  const again = await post("/webhooks/vapi", vapi, signed);
  assert.deepEqual(await again.json(), { received: true, duplicate: true });
  assert.equal(await stored("vapi"), 1, "the re-delivery was de-duplicated by JetStream");
  const message = await jsm.streams.getMessage(streamName("webhooks", subjectPrefix), { last_by_subj: `${subjectPrefix}.webhooks.vapi.${ws}` });
  assert.equal(new TextDecoder().decode(message!.data), vapi, "the exact bytes, as signed");
  assert.equal(message!.header.get("parley-workspace-id"), ws);

  const forged = await post("/webhooks/vapi", vapi.replace("ringing", "ended"), signed);
  assertProblem({ status: forged.status, headers: forged.headers, body: await forged.json() }, 401);
  assert.equal((await post("/webhooks/vapi", vapi, { "x-vapi-secret": "guess" })).status, 401);
  assert.equal((await post("/webhooks/vapi", vapi)).status, 401);
  const strangerBody = vapi.replace(ws, "ws_nobody");
  assert.equal((await post("/webhooks/vapi", strangerBody, { "x-vapi-signature": hmac("vapi-hook-secret", strangerBody) })).status, 401);
  assert.equal(await stored("vapi"), 1, "nothing forged reached the stream");

  const retell = JSON.stringify({ event: "call_started", call: { call_id: "r1", metadata: { parley_workspace_id: ws } } });
  const v = String(Date.now());
  assert.equal((await post("/webhooks/retell", retell, { "x-retell-signature": `v=${v},d=${hmac("retell-key", retell, v)}` })).status, 200);
  assert.equal((await post("/webhooks/retell", retell, { "x-retell-signature": `v=${v},d=${hmac("wrong", retell, v)}` })).status, 401);
  assert.equal(await stored("retell"), 1);

  const bolna = JSON.stringify({ id: "ex1", status: "ringing", updated_at: "2026-11-23T10:00:00Z" });
  assert.equal((await post(`/webhooks/bolna?workspace=${ws}&token=bolna-url-token`, bolna)).status, 200);
  assert.equal((await post(`/webhooks/bolna?workspace=${ws}&token=nope`, bolna)).status, 401);
  assert.equal(await stored("bolna"), 1);

  assert.equal((await post("/webhooks/vapi", "{not json", signed)).status, 400);
});

test("a single call through the sandbox provider: placed, its signed webhooks applied to its end, call_started and call_ended once each", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { id: ws, key } = await allDayWorkspace();
  const leadId = await callableLead(key, "+14155550177");
  const placed = await call("POST", "/v1/calls", { token: key, body: { lead_id: leadId, variables: { offer: "audit" } } });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body.provider, "vapi");
  assert.ok(placed.body.provider_call_id);
  assert.equal(placed.body.status, "queued");
  const ended = await untilEnded(key, placed.body.id);
  assert.equal(ended.ended_reason, "completed");
  assert.match(ended.transcript, /Grace/);
  assert.ok(ended.duration_seconds >= 0 && ended.recording_url && ended.cost > 0);
  assert.deepEqual(ended.events.slice(0, 2).map((e: { type: string }) => e.type), ["queued", "dialed"]);
  assert.ok(ended.events.some((e: { source: string }) => e.source === "webhook"), JSON.stringify(ended.events));

  const db = new pg.Client({ connectionString: voiceDbUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ event_type: string }>("select event_type from bus_outbox where workspace_id = $1 order by seq", [ws]);
    assert.deepEqual(rows.map((r) => r.event_type), ["voice.call_started", "voice.call_ended"]);
    const slots = await db.query("select 1 from call_leases where call_id = $1", [placed.body.id]);
    assert.equal(slots.rows.length, 0, "its slots were released");
    const logs = await db.query<{ type: string; outcome: string }>("select type, outcome from webhook_logs where call_id = $1 order by id", [placed.body.id]);
    assert.ok(logs.rows.some((r) => r.type === "end-of-call-report" && r.outcome === "applied"), JSON.stringify(logs.rows));
  } finally {
    await db.end();
  }
  const placedAtSim = (await (await fetch(`${simUrl}/_sim/calls?to=%2B14155550177`)).json()) as { data: { variables: Record<string, string> }[] };
  assert.equal(placedAtSim.data[0]?.variables.offer, "audit");
  const listed = await call("GET", `/v1/calls?lead_id=${leadId}`, { token: key });
  assert.deepEqual(listed.body.data.map((c: { id: string }) => c.id), [placed.body.id]);

  // leads applies voice.call_started / call_ended: the lead's timeline shows the call, once.
  const lead = await stack.untilTimeline(key, leadId, "call_ended");
  const kinds = lead.timeline.map((e: { kind: string }) => e.kind);
  assert.deepEqual(kinds.filter((k: string) => k === "call_started" || k === "call_ended"), ["call_started", "call_ended"], kinds.join());
  assert.match(lead.timeline.find((e: { kind: string }) => e.kind === "call_ended").summary, /Call ended: completed/);
  // Contacted by the call; its analysis (which may already have come) makes it qualified.
  assert.ok(["contacted", "qualified"].includes(lead.status), lead.status);

  // The recording: a 302 to our own expiring link, which 302s to the provider's file.
  const first = await fetch(`${base}/v1/calls/${placed.body.id}/recording`, { headers: { authorization: `Bearer ${key}` }, redirect: "manual" });
  assert.equal(first.status, 302);
  const link = new URL(first.headers.get("location")!, base);
  assert.equal(link.pathname, `/recordings/${placed.body.id}`);
  const second = await fetch(link, { redirect: "manual" });
  assert.equal(second.status, 302);
  assert.equal(second.headers.get("location"), ended.recording_url);
  link.searchParams.set("sig", `${link.searchParams.get("sig")!.slice(0, -2)}xx`);
  assert.equal((await fetch(link, { redirect: "manual" })).status, 403, "a tampered link");
  link.searchParams.set("expires", "1000");
  assert.equal((await fetch(link, { redirect: "manual" })).status, 403, "a changed expiry breaks the signature");
  const sign = (expires: number) => createHmac("sha256", RECORDING_SECRET).update(`${ws}/${placed.body.id}/${expires}`).digest("base64url");
  link.searchParams.set("sig", sign(1000));
  assert.equal((await fetch(link, { redirect: "manual" })).status, 410, "a genuine link past its expiry");
});

test("POST /v1/leads?call=now creates and calls the lead; a call that cannot be placed leaves the lead, named in the problem", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { key } = await allDayWorkspace();
  const created = await call("POST", "/v1/leads?call=now", { token: key, body: { phone: "+14155550197", name: "Ada" } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.headers.get("location"), `/v1/leads/${created.body.id}`);
  assert.equal(created.body.phone, "+14155550197");
  assert.equal(created.body.call.lead_id, created.body.id);
  assert.ok(created.body.call.provider_call_id);
  assert.equal((await untilEnded(key, created.body.call.id)).ended_reason, "completed");

  const refused = await call("POST", "/v1/leads?call=now", { token: key, body: { phone: "+14155550104" } });
  assertProblem(refused, 502);
  assert.match(refused.body.detail, /simulated upstream failure/);
  assert.equal(refused.headers.get("location"), `/v1/leads/${refused.body.lead_id}`);
  assert.equal((await call("GET", `/v1/leads/${refused.body.lead_id}`, { token: key })).status, 200);
  assertProblem(await call("POST", "/v1/leads?call=later", { token: key, body: { phone: "+14155550198" } }), 400);
});

test("a call is refused before any dial: opted-out lead 409, outside calling hours 409; a provider 5xx is 502 with its message", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { key } = await allDayWorkspace();
  const optedOut = await callableLead(key, "+14155550178");
  await call("POST", `/v1/leads/${optedOut}/opt-out`, { token: key, body: { channels: ["voice"] } });
  const refused = await call("POST", "/v1/calls", { token: key, body: { lead_id: optedOut } });
  assertProblem(refused, 409);
  assert.match(refused.body.detail, /opted out/);
  const reached = (await (await fetch(`${simUrl}/_sim/calls?to=%2B14155550178`)).json()) as { data: unknown[] };
  assert.equal(reached.data.length, 0, "no request reached the provider");

  // A one-hour window twelve hours from now, in UTC.
  const hour = (new Date().getUTCHours() + 12) % 23;
  const closed = await call("POST", "/v1/workspaces", {
    token: ADMIN,
    body: { name: "Closed", timezone: "UTC", settings: { calling_hours: { start: `${String(hour).padStart(2, "0")}:00`, end: `${String(hour + 1).padStart(2, "0")}:00` } } },
  });
  const closedLead = await callableLead(closed.body.api_key.secret, "+14155550179");
  const outside = await call("POST", "/v1/calls", { token: closed.body.api_key.secret, body: { lead_id: closedLead } });
  assertProblem(outside, 409);
  assert.match(outside.body.detail, /outside calling hours/);

  const failing = await callableLead(key, "+14155550104");
  const upstream = await call("POST", "/v1/calls", { token: key, body: { lead_id: failing } });
  assertProblem(upstream, 502);
  assert.match(upstream.body.detail, /simulated upstream failure/);
  const stored = await call("GET", `/v1/calls?lead_id=${failing}`, { token: key });
  assert.equal(stored.body.data[0].ended_reason, "failed");
  assert.match(stored.body.data[0].error, /simulated upstream failure/);
  assertProblem(await call("POST", "/v1/calls", { token: key, body: { lead_id: "ld_missing" } }), 404);
});

test("the workspace's call cap: a second live call is 429 until the first ends and frees its slot", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [1500, 1500] });
  const { key } = await allDayWorkspace({ max_concurrency: 1 });
  const [a, b] = [await callableLead(key, "+14155550180"), await callableLead(key, "+14155550181")];
  const first = await call("POST", "/v1/calls", { token: key, body: { lead_id: a } });
  assert.equal(first.status, 201);
  assertProblem(await call("POST", "/v1/calls", { token: key, body: { lead_id: b } }), 429);
  await untilEnded(key, first.body.id);
  sim.state.configure({ call_duration_ms: [100, 150] });
  assert.equal((await call("POST", "/v1/calls", { token: key, body: { lead_id: b } })).status, 201);
});

async function voiceDb<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: voiceDbUrl });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

const finalRow = (c: Record<string, unknown>) => ({ status: c.status, ended_reason: c.ended_reason, has_transcript: !!c.transcript, has_recording: !!c.recording_url, has_cost: (c.cost as number) > 0 });

test("each provider: dial, webhooks or polling, and the same final row; every webhook three times in shuffled order changes nothing", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { id: ws, key } = await allDayWorkspace();
  // Bolna posts a call's webhooks to its agent's URL: calls on Bolna use an agent from the directory.
  const agent = await call("POST", "/v1/assistants", { token: key, body: { provider: "bolna", template: "short_pitch" } });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const results: Record<string, unknown>[] = [];
  for (const [provider, phone] of [["vapi", "+14155550190"], ["retell", "+14155550191"], ["bolna", "+14155550192"], ["vapi", "+14155550106"], ["retell", "+12125550106"], ["bolna", "+13125550106"]] as const) {
    const lead = await callableLead(key, phone);
    const placed = await call("POST", "/v1/calls", { token: key, body: { lead_id: lead, provider } });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const ended = await untilEnded(key, placed.body.id);
    results.push({ provider, phone, ...finalRow(ended) });
    const timeline = (await stack.untilTimeline(key, lead, "call_ended")).timeline as { kind: string }[];
    assert.equal(timeline.filter((e) => e.kind === "call_ended").length, 1, `${provider}: the lead's timeline shows the call once`);
    const sources = new Set(ended.events.map((e: { source: string }) => e.source));
    assert.ok(sources.has("webhook"), `${provider}: ${[...sources].join()}`);
    // Bolna's five stages, each posted once and in order (0106's shuffled copies may still be on their way).
    if (provider === "bolna" && !phone.endsWith("0106")) {
      const logged = await voiceDb((db) => db.query<{ type: string }>("select type from webhook_logs where call_id = $1", [placed.body.id]));
      const types = new Set(logged.rows.map((r) => r.type));
      for (const stage of ["initiated", "ringing", "in-progress", "call-disconnected", "completed"]) assert.ok(types.has(`execution.${stage}`), `bolna ${stage}: ${[...types].join()}`);
    }
  }
  for (const r of results) assert.deepEqual({ ...r, provider: undefined, phone: undefined }, { provider: undefined, phone: undefined, status: "ended", ended_reason: "completed", has_transcript: true, has_recording: true, has_cost: true }, JSON.stringify(r));
  await new Promise((r) => setTimeout(r, 500));
  const ended = await voiceDb((db) => db.query<{ n: string }>("select count(*) as n from bus_outbox where workspace_id = $1 and event_type = 'voice.call_ended'", [ws]));
  assert.equal(Number(ended.rows[0]?.n), 6, "one call_ended per call, duplicates and all");
});

test("a call whose terminal webhooks never come is finished by the reconciler and frees its slot", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { key } = await allDayWorkspace({ max_concurrency: 1 });
  const lead = await callableLead(key, "+14155550107");
  const placed = await call("POST", "/v1/calls", { token: key, body: { lead_id: lead } });
  const ended = await untilEnded(key, placed.body.id);
  assert.equal(ended.ended_reason, "completed");
  assert.ok(ended.events.some((e: { source: string }) => e.source === "poll"), "ended by reading the call back");
  const next = await callableLead(key, "+14155550193");
  assert.equal((await call("POST", "/v1/calls", { token: key, body: { lead_id: next } })).status, 201, "the slot was freed");
});

test("auto_call_new_leads: a new lead is called once, through the same checks as a manual call", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
  const { key } = await allDayWorkspace({ auto_call_new_leads: true });
  const lead = await callableLead(key, "+14155550194");
  const deadline = Date.now() + 10_000;
  let calls: { id: string }[] = [];
  while (!calls.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    calls = (await call("GET", `/v1/calls?lead_id=${lead}`, { token: key })).body.data;
  }
  assert.equal(calls.length, 1);
  assert.equal((await untilEnded(key, calls[0]!.id)).ended_reason, "completed");
  const quiet = await allDayWorkspace();
  const notCalled = await callableLead(quiet.key, "+14155550195");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await call("GET", `/v1/calls?lead_id=${notCalled}`, { token: quiet.key })).body.data.length, 0, "the setting is off by default");
});

for (const calendar of ["builtin", "calcom"] as const) {
  test(`in-call tools through a signed Vapi tool-calls webhook (${calendar} calendar): availability, a booking, a refused conflicting booking, qualification, opt-out`, async () => {
    sim.state.configure({ ring_ms: 20, call_duration_ms: [3000, 3000] });
    const { id: ws, key } = await allDayWorkspace();
    if (calendar === "calcom") assert.equal((await call("PUT", "/v1/integrations/calcom", { token: key, body: { api_key: "cal_live_x", event_type_id: 42 } })).status, 200);
    const leadId = await callableLead(key, calendar === "calcom" ? "+14155550296" : "+14155550196");
    const placed = await call("POST", "/v1/calls", { token: key, body: { lead_id: leadId } });
    assert.equal(placed.status, 201);
    let n = 0;
    const tool = async (name: string, args: unknown) => {
      n += 1;
      const body = JSON.stringify({ message: { type: "tool-calls", toolCallList: [{ id: `tc_${n}`, type: "function", function: { name, arguments: args } }], call: { id: placed.body.provider_call_id, metadata: { parley_call_id: placed.body.id, parley_workspace_id: ws } } } });
      // Sandbox workspaces' Vapi webhooks are signed with the sandbox's secret.
      const res = await fetch(`${base}/webhooks/vapi`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-vapi-signature": createHmac("sha256", "sandbox-webhook-secret").update(body).digest("hex") },
        body,
      });
      assert.equal(res.status, 200);
      const { results } = (await res.json()) as { results: { toolCallId: string; result: string }[] };
      assert.equal(results[0]?.toolCallId, `tc_${n}`);
      return JSON.parse(results[0]!.result) as Record<string, unknown>;
    };

    const availability = await tool("check_availability", { count: 2 });
    assert.equal(availability.ok, true);
    const [slot] = availability.slots as string[];
    assert.ok(slot && Date.parse(slot) > Date.now());
    const booked = await tool("book_appointment", { start: slot, notes: "demo" });
    assert.equal(booked.ok, true, JSON.stringify(booked));
    const conflict = await tool("book_appointment", { start: slot });
    assert.equal(conflict.ok, false);
    assert.match(String(conflict.error), /already booked/);
    assert.ok(!(conflict.alternatives as string[]).includes(slot!));
    assert.ok(!((await tool("check_availability", { count: 3 })).slots as string[]).includes(slot!), "the booked slot is no longer offered");
    assert.deepEqual(await tool("record_qualification", { answers: { budget: "5k", timeline: "Q1" } }), { ok: true, recorded: ["budget", "timeline"] });
    assert.equal((await tool("book_appointment", { start: "yesterday" })).ok, false);
    assert.equal((await tool("teleport", {})).ok, false);

    const deadline = Date.now() + 10_000;
    let lead = (await call("GET", `/v1/leads/${leadId}`, { token: key })).body;
    while (lead.status !== "meeting_booked" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      lead = (await call("GET", `/v1/leads/${leadId}`, { token: key })).body;
    }
    assert.equal(lead.status, "meeting_booked");
    assert.ok(lead.timeline.some((e: { kind: string }) => e.kind === "meeting_booked"));

    assert.equal((await tool("opt_out", { reason: "asked not to be called" })).ok, true);
    assert.deepEqual((await call("GET", `/v1/leads/${leadId}`, { token: key })).body.opted_out, { voice: true, whatsapp: true });

    const appointments = await voiceDb((db) => db.query<{ calendar: string; external_id: string | null }>("select calendar, external_id from appointments where lead_id = $1", [leadId]));
    assert.equal(appointments.rows.length, 1);
    assert.equal(appointments.rows[0]?.calendar, calendar);
    if (calendar === "calcom") {
      // The meeting is on the tenant's Cal.com, booked once, for the lead, at the slot Cal.com offered.
      const { data } = (await (await fetch(`${simUrl}/_sim/calcom/bookings`)).json()) as { data: Record<string, any>[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      const mine = data.filter((b) => b.metadata?.parley_lead_id === leadId);
      assert.equal(mine.length, 1, JSON.stringify(data));
      assert.deepEqual([mine[0]?.uid, mine[0]?.start, mine[0]?.eventTypeId, mine[0]?.attendees[0].phoneNumber], [appointments.rows[0]?.external_id, new Date(slot!).toISOString(), 42, "+14155550296"]);
      assert.match(mine[0]?.attendees[0].email, /@no-email\.parley\.invalid$/, "Cal.com needs an email; a lead without one gets an address that reaches no one");
    }
  });
}

test("test numbers 0108 and 0109: the simulated assistant books a meeting, or opts the callee out, through the tools", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [600, 700] });
  const { key } = await allDayWorkspace();
  const meeting = await callableLead(key, "+14155550108");
  const optOut = await callableLead(key, "+14155550109");
  for (const lead of [meeting, optOut]) {
    const placed = await call("POST", "/v1/calls", { token: key, body: { lead_id: lead } });
    assert.equal(placed.status, 201);
    await untilEnded(key, placed.body.id);
  }
  const deadline = Date.now() + 10_000;
  const read = async (id: string) => (await call("GET", `/v1/leads/${id}`, { token: key })).body;
  while ((await read(meeting)).status !== "meeting_booked" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await read(meeting)).status, "meeting_booked");
  assert.deepEqual((await read(optOut)).opted_out, { voice: true, whatsapp: true });
});

test("Twilio voice: a call to a tenant's Twilio number reaches its Retell agent over SIP, is recorded, and Retell's webhooks complete it", async () => {
  sim.state.configure({ ring_ms: 20, call_duration_ms: [150, 200] });
  const { key } = await allDayWorkspace();
  const twilio = { account_sid: `AC${"0".repeat(32)}`, auth_token: "twilio-auth-token", whatsapp_from: "+14155559199" };
  assert.equal((await call("PUT", "/v1/integrations/twilio", { token: key, body: twilio })).status, 200);
  const agent = await call("POST", "/v1/assistants", { token: key, body: { provider: "retell", template: "discovery" } });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  assert.equal((await call("POST", "/v1/phone-numbers", { token: key, body: { number: "+14155559100", provider: "retell", assistant_id: agent.body.id } })).status, 201);
  assert.equal((await call("POST", "/v1/phone-numbers", { token: key, body: { number: "+14155559101", provider: "vapi", assistant_id: "vapi-only" } })).status, 201);

  // Twilio's signature: HMAC-SHA1 of the URL and the sorted parameters, keyed with the auth token.
  const url = `${base}/webhooks/twilio/voice`;
  const sign = (params: Record<string, string>, token = twilio.auth_token) =>
    createHmac("sha1", token).update(Object.keys(params).sort().reduce((acc, k) => acc + k + params[k], url)).digest("base64");
  const ring = (params: Record<string, string>, signature = sign(params)) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params).toString() });
  const params = { CallSid: "CA0001", AccountSid: twilio.account_sid, From: "+14155550188", To: "+14155559100", CallStatus: "ringing", Direction: "inbound" };

  assert.equal((await ring(params, sign(params, "wrong-token"))).status, 401);
  assert.equal((await ring({ ...params, To: "+14155559999" })).status, 401, "an unregistered number belongs to no workspace");
  const notSetUp = await ring({ ...params, To: "+14155559101" });
  assert.equal(notSetUp.status, 200);
  assert.match(await notSetUp.text(), /<Say>This number is not set up to take calls.<\/Say><Hangup\/>/);

  const answered = await ring(params);
  assert.equal(answered.status, 200);
  assert.match(answered.headers.get("content-type") ?? "", /^text\/xml/);
  const sip = /<Dial><Sip>sip:([^@<]+)@5t4n6j0wnrl\.sip\.livekit\.cloud<\/Sip><\/Dial>/.exec(await answered.text());
  assert.ok(sip, "Twilio is told to dial the registered call over SIP");
  const listed = await call("GET", "/v1/calls", { token: key });
  const recorded = listed.body.data.find((c: { provider_call_id: string }) => c.provider_call_id === sip[1]);
  assert.deepEqual([recorded?.direction, recorded?.provider, recorded?.assistant_id], ["inbound", "retell", agent.body.id]);
  const ended = await untilEnded(key, recorded.id);
  assert.equal(ended.ended_reason, "completed");
  assert.ok(ended.events.some((e: { source: string }) => e.source === "webhook"), "completed by Retell's webhooks");
  assert.equal((await call("GET", `/v1/leads/${recorded.lead_id}`, { token: key })).body.phone, "+14155550188");
});

test("inbound calls: a registered number's assistant-request is answered with its assistant and the workspace's profile", async () => {
  const res = await call("POST", "/v1/workspaces", { token: ADMIN, body: { name: "Inbound Co", profile: { persona: "Sam from Inbound Co", offer: "a free audit" } } });
  const key = res.body.api_key.secret as string;
  const registered = await call("POST", "/v1/phone-numbers", { token: key, body: { number: "+14155559000", provider: "vapi", assistant_id: "vapi-inbound-assistant" } });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const other = await newWorkspace("Other");
  assertProblem(await call("POST", "/v1/phone-numbers", { token: other.key, body: { number: "+14155559000", provider: "vapi", assistant_id: "x" } }), 409);
  assertProblem(await call("POST", "/v1/phone-numbers", { token: key, body: { number: "415", provider: "vapi", assistant_id: "x" } }), 400);

  const request = (number: string) => {
    const body = JSON.stringify({ message: { type: "assistant-request", phoneNumber: { number }, customer: { number: "+14155550111" }, call: { id: `in_${number}` } } });
    return fetch(`${base}/webhooks/vapi`, { method: "POST", headers: { "content-type": "application/json", "x-vapi-signature": createHmac("sha256", "sandbox-webhook-secret").update(body).digest("hex") }, body });
  };
  const answered = await request("+14155559000");
  assert.equal(answered.status, 200);
  const answer = (await answered.json()) as { assistantId: string; assistantOverrides: { variableValues: Record<string, string> } };
  assert.equal(answer.assistantId, "vapi-inbound-assistant");
  assert.deepEqual(answer.assistantOverrides.variableValues, { business: "Inbound Co", caller_number: "+14155550111", persona: "Sam from Inbound Co", offer: "a free audit", language: "en" });
  assert.equal((await request("+14155559999")).status, 401, "an unregistered number belongs to no workspace");

  // The call is recorded, once, for the caller's lead (created for a new caller), and its webhooks apply to it.
  assert.equal((await request("+14155559000")).status, 200, "Vapi may ask again");
  const inbound = await call("GET", "/v1/calls", { token: key });
  assert.equal(inbound.body.data.length, 1, JSON.stringify(inbound.body));
  const [recorded] = inbound.body.data;
  assert.deepEqual([recorded.direction, recorded.provider_call_id, recorded.assistant_id, recorded.to], ["inbound", "in_+14155559000", "vapi-inbound-assistant", "+14155559000"]);
  const caller = await call("GET", `/v1/leads/${recorded.lead_id}`, { token: key });
  assert.deepEqual([caller.body.phone, caller.body.source], ["+14155550111", "voice"]);
  const report = JSON.stringify({
    message: {
      type: "end-of-call-report",
      phoneNumber: { number: "+14155559000" },
      call: { id: "in_+14155559000", type: "inboundPhoneCall" },
      endedReason: "customer-ended-call",
      startedAt: "2026-11-23T10:00:00Z",
      endedAt: "2026-11-23T10:01:30Z",
      cost: 0.12,
      artifact: { transcript: "AI: Inbound Co, Sam speaking.\nUser: I'd like the free audit.", recordingUrl: "https://recordings.example/in.wav" },
    },
  });
  const delivered = await fetch(`${base}/webhooks/vapi`, { method: "POST", headers: { "content-type": "application/json", "x-vapi-signature": createHmac("sha256", "sandbox-webhook-secret").update(report).digest("hex") }, body: report });
  assert.equal(delivered.status, 200);
  const ended = await untilEnded(key, recorded.id);
  assert.deepEqual([ended.ended_reason, ended.duration_seconds, ended.cost], ["completed", 90, 0.12]);
  assert.match(ended.transcript, /free audit/);
  const callerTimeline = (await stack.untilTimeline(key, recorded.lead_id, "call_ended")).timeline;
  assert.equal(callerTimeline.find((e: { kind: string }) => e.kind === "call_started")?.summary, "Called in (via vapi)");

  // A number answered by a directory assistant: the provider's id of its current version.
  const assistant = await call("POST", "/v1/assistants", { token: key, body: { template: "short_pitch" } });
  assert.equal(assistant.status, 201, JSON.stringify(assistant.body));
  assert.equal((await call("POST", "/v1/phone-numbers", { token: key, body: { number: "+14155559001", provider: "vapi", assistant_id: assistant.body.id } })).status, 201);
  const viaDirectory = (await (await request("+14155559001")).json()) as { assistantId: string };
  assert.equal(viaDirectory.assistantId, assistant.body.provider_assistant_id);
  assertProblem(await call("POST", "/v1/phone-numbers", { token: key, body: { number: "+14155559002", provider: "vapi", assistant_id: "asst_unknown" } }), 400);
  assert.equal((await fetch(`${base}/v1/phone-numbers/${encodeURIComponent("+14155559001")}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } })).status, 204);

  assert.equal((await fetch(`${base}/v1/phone-numbers/${encodeURIComponent("+14155559000")}`, { method: "DELETE", headers: { authorization: `Bearer ${key}` } })).status, 204);
  assert.deepEqual((await call("GET", "/v1/phone-numbers", { token: key })).body.data, []);
});
