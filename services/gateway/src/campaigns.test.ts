// Campaigns end to end: the real gateway, leads and voice (its dialer), and the simulator.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { testPool } from "@parley/testing";
import { assertProblem, startTestStack, until, type TestStack } from "./test-stack";

let stack: TestStack;
let voiceDb: pg.Pool;

before(async () => {
  stack = await startTestStack({ voiceEnv: { VOICE_GLOBAL_CAP: "10", VOICE_DISPATCH_TICK_MS: "200", VOICE_AUTO_PAUSE_WINDOW: "5", LOG_LEVEL: process.env.VOICE_LOG_LEVEL ?? "silent" }, gatewayEnv: { RATE_LIMIT_PER_MINUTE: "100000", BODY_LIMIT_BYTES: "1048576" } });
  voiceDb = testPool(stack.voiceDbUrl);
});

/** A Spanish mobile number whose last four digits pick the simulator's scenario ("0101" no answer…). */
const phone = (i: number, scenario = "5000") => `+3461${String(i).padStart(3, "0")}${scenario}`;

async function createLeads(key: string, phones: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < phones.length; i += 20) {
    ids.push(...(await Promise.all(phones.slice(i, i + 20).map((p) => stack.callableLead(key, p)))));
  }
  return ids;
}

const campaign = (key: string, id: string) => stack.call("GET", `/v1/campaigns/${id}`, { token: key }).then((r) => r.body);
const dialsTo = async (to: string) => (await stack.simGet(`/_sim/calls?to=${encodeURIComponent(to)}`)).data.length as number;

/** Reads a campaign's SSE stream in the background; `events` fills as they come. */
function follow(key: string, id: string) {
  const events: { event: string; data: any }[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const ended = (async () => {
    const res = await fetch(`${stack.base}/v1/campaigns/${id}/events`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return { events, ended };
}

test("a campaign's life: draft, start, append while running, pause lets live calls finish, resume, retries per outcome, completed; SSE shows it all", async () => {
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [150, 250], webhook_delay_ms: [0, 20] });
  const { key } = await stack.allDayWorkspace({ max_concurrency: 10 });
  const normal = await createLeads(key, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => phone(i)));
  const [noAnswer, busy, voicemail] = await createLeads(key, [phone(10, "0101"), phone(11, "0102"), phone(12, "0103")]);

  const empty = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Empty" } });
  assert.equal(empty.status, 201, JSON.stringify(empty.body));
  assertProblem(await stack.call("POST", `/v1/campaigns/${empty.body.id}/start`, { token: key }), 409);
  assertProblem(await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Bad", retry_policy: { no_answer: { max_attempts: 0, delay_minutes: 1 } } } }), 400);
  assertProblem(await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Bad", schedule: { timezone: "Mars/Olympus" } } }), 400);

  const policy = { no_answer: { max_attempts: 2, delay_minutes: 0.005 }, busy: { max_attempts: 3, delay_minutes: 0.005 }, voicemail: { max_attempts: 1, delay_minutes: 0 }, jitter: 0 };
  const created = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "November", lead_ids: [...normal.slice(0, 5), noAnswer, busy], max_concurrency: 2, retry_policy: policy } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  assert.equal(created.body.status, "draft");
  assert.equal(created.body.progress.total, 7);
  assert.equal(created.body.progress.queued, 7);
  assert.equal(created.body.max_concurrency, 2);
  const stream = follow(key, id);

  const started = await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
  assert.equal(started.status, 200);
  assert.equal(started.body.status, "running");
  const appended = await stack.call("POST", `/v1/campaigns/${id}/leads`, { token: key, body: { lead_ids: [...normal.slice(3), voicemail, "lead_doesnotexist"] } });
  assert.equal(appended.status, 200, JSON.stringify(appended.body));
  assert.equal(appended.body.added, 5);
  assert.equal(appended.body.already_queued, 2);
  assert.deepEqual(appended.body.not_found, ["lead_doesnotexist"]);

  await until("a few calls done", () => campaign(key, id), (c) => c.progress.completed >= 3);
  const paused = await stack.call("POST", `/v1/campaigns/${id}/pause`, { token: key });
  assert.equal(paused.body.status, "paused");
  assert.equal(paused.body.paused_reason, "paused by a user");
  assert.equal((await stack.call("POST", `/v1/campaigns/${id}/pause`, { token: key })).status, 200, "pausing again changes nothing");
  const quiet = await until("live calls finished after the pause", () => campaign(key, id), (c) => c.progress.dialing + c.progress.in_progress === 0);
  await new Promise((r) => setTimeout(r, 600));
  const still = await campaign(key, id);
  assert.equal(still.progress.calls, quiet.progress.calls, "no dial while paused");
  assert.ok(still.progress.queued > 0);

  assert.equal((await stack.call("POST", `/v1/campaigns/${id}/resume`, { token: key })).body.status, "running");
  const done = await until("campaign completed", () => campaign(key, id), (c) => c.status === "completed");
  assert.deepEqual(done.progress.by_outcome, { completed: 9, no_answer: 1, busy: 1, voicemail: 1 });
  assert.equal(done.progress.completed, 12);
  assert.equal(done.progress.queued + done.progress.dialing + done.progress.in_progress + done.progress.failed, 0);
  assert.equal(await dialsTo(phone(10, "0101")), 2, "no answer: the first call and one retry");
  assert.equal(await dialsTo(phone(11, "0102")), 3, "busy: three attempts");
  assert.equal(await dialsTo(phone(12, "0103")), 1, "voicemail: one attempt");
  for (const i of [1, 5, 9]) assert.equal(await dialsTo(phone(i)), 1, "an answered lead is called once");
  assert.equal(done.progress.calls, 9 + 2 + 3 + 1);
  const listed: { lead_id: string; state: string; attempts: number; final_outcome: string; call_id: string | null }[] = [];
  let cursor = "";
  do {
    const page = await stack.call("GET", `/v1/campaigns/${id}/leads?state=done&limit=5${cursor ? `&cursor=${cursor}` : ""}`, { token: key });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    listed.push(...page.body.data);
    cursor = page.body.next_cursor ?? "";
  } while (cursor);
  assert.equal(listed.length, 12, "every lead listed once, page by page");
  const byLead = new Map(listed.map((l) => [l.lead_id, l]));
  assert.deepEqual([noAnswer, busy, voicemail].map((l) => [byLead.get(l!)?.attempts, byLead.get(l!)?.final_outcome]), [[2, "no_answer"], [3, "busy"], [1, "voicemail"]]);
  assert.ok(normal.every((l) => byLead.get(l)?.attempts === 1 && byLead.get(l)?.final_outcome === "completed" && byLead.get(l)?.call_id));
  assertProblem(await stack.call("GET", `/v1/campaigns/${id}/leads?cursor=nonsense`, { token: key }), 400);
  const calls = await stack.call("GET", `/v1/calls?campaign_id=${id}&limit=200`, { token: key });
  assert.equal(calls.body.data.length, 15);
  assert.ok(calls.body.data.every((c: { campaign_id: string }) => c.campaign_id === id));

  await stream.ended;
  const statuses = stream.events.filter((e) => e.event === "campaign").map((e) => e.data.status);
  for (const s of ["draft", "running", "paused", "completed"]) assert.ok(statuses.includes(s), `the stream showed ${s}: ${statuses.join(",")}`);
  const completedCounts = stream.events.filter((e) => e.event === "campaign").map((e) => e.data.progress.completed);
  assert.deepEqual(completedCounts, [...completedCounts].sort((a, b) => a - b), "progress only grows");
  assert.deepEqual(stream.events.at(-1), { event: "end", data: { status: "completed" } });

  assertProblem(await stack.call("POST", `/v1/campaigns/${id}/resume`, { token: key }), 409);
  assertProblem(await stack.call("POST", `/v1/campaigns/${id}/leads`, { token: key, body: { lead_ids: [normal[0]] } }), 409);
});

test("cancel drops queued leads while live calls finish; an opt-out recorded mid-campaign stops its lead; another workspace sees 404", async () => {
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [300, 300], webhook_delay_ms: [0, 10] });
  const { key } = await stack.allDayWorkspace({ max_concurrency: 10 });
  const leads = await createLeads(key, Array.from({ length: 12 }, (_, i) => phone(100 + i)));
  const optedOut = leads.at(-1)!;
  const created = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Short", lead_ids: leads, max_concurrency: 1 } });
  const id = created.body.id as string;
  await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
  assert.equal((await stack.call("POST", `/v1/leads/${optedOut}/opt-out`, { token: key, body: { channels: ["voice"], reason: "asked by email" } })).status, 200);
  await until("two calls done", () => campaign(key, id), (c) => c.progress.completed >= 2);

  const other = await stack.allDayWorkspace();
  assertProblem(await stack.call("GET", `/v1/campaigns/${id}`, { token: other.key }), 404);
  assertProblem(await stack.call("POST", `/v1/campaigns/${id}/cancel`, { token: other.key }), 404);

  const cancelled = await stack.call("POST", `/v1/campaigns/${id}/cancel`, { token: key });
  assert.equal(cancelled.body.status, "cancelled");
  const settled = await until("the live call finished", () => campaign(key, id), (c) => c.progress.dialing + c.progress.in_progress === 0);
  await new Promise((r) => setTimeout(r, 500));
  const final = await campaign(key, id);
  assert.equal(final.progress.calls, settled.progress.calls, "nothing dialed after the cancel");
  assert.equal(final.progress.queued, 0);
  assert.ok(final.progress.cancelled > 0 && final.progress.cancelled + final.progress.completed === 12, JSON.stringify(final.progress));
  assert.equal(await dialsTo(phone(111)), 0, "the opted-out lead was never dialed");
  assertProblem(await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key }), 409);
});

test("an opt-out before its turn ends the lead as opted_out, checked right before the dial", async () => {
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 100], webhook_delay_ms: [0, 10] });
  const { key } = await stack.allDayWorkspace({ max_concurrency: 10 });
  const leads = await createLeads(key, Array.from({ length: 4 }, (_, i) => phone(200 + i)));
  const created = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Consent", lead_ids: leads } });
  await stack.call("POST", `/v1/leads/${leads[2]}/opt-out`, { token: key, body: { channels: ["voice"], reason: "no" } });
  await stack.call("POST", `/v1/campaigns/${created.body.id}/start`, { token: key });
  const done = await until("completed", () => campaign(key, created.body.id), (c) => c.status === "completed");
  assert.deepEqual(done.progress.by_outcome, { completed: 3, opted_out: 1 });
  assert.equal(await dialsTo(phone(202)), 0);
});

test("most of the last dials failing at the provider pauses the campaign, with the reason and an event", async () => {
  const { key, id: workspaceId } = await stack.allDayWorkspace({ max_concurrency: 10 });
  const leads = await createLeads(key, Array.from({ length: 12 }, (_, i) => phone(300 + i, "0104")));
  const created = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Broken", lead_ids: leads, max_concurrency: 1, retry_policy: { failed: { max_attempts: 1, delay_minutes: 0 } } } });
  const id = created.body.id as string;
  await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
  const paused = await until("auto-paused", () => campaign(key, id), (c) => c.status === "paused");
  assert.match(paused.paused_reason, /^auto-paused: at least 80% of the last 5 calls failed at the provider \(latest: .*simulated upstream failure/);
  assert.equal(paused.progress.by_outcome.failed, 5);
  assert.equal(paused.progress.queued, 7, "the rest wait for a resume");
  const { rows } = await voiceDb.query<{ event_type: string }>("select event_type from bus_outbox where workspace_id = $1 and event_type = 'voice.campaign_status_changed' order by seq", [workspaceId]);
  assert.equal(rows.length, 2, "started, then paused");
});

test("two workspaces with 300 and 30 queued leads share the cap fairly: the small one is not starved until the large one drains", async () => {
  await fetch(`${stack.simUrl}/_sim/reset`, { method: "POST" });
  stack.sim.state.configure({ ring_ms: 10, call_duration_ms: [300, 600], webhook_delay_ms: [0, 10] });
  const large = await stack.allDayWorkspace({ max_concurrency: 10 });
  const small = await stack.allDayWorkspace({ max_concurrency: 10 });
  const largeLeads = await createLeads(large.key, Array.from({ length: 300 }, (_, i) => `+3462${String(i).padStart(3, "0")}5000`));
  const smallLeads = await createLeads(small.key, Array.from({ length: 30 }, (_, i) => `+3463${String(i).padStart(3, "0")}5000`));
  const a = (await stack.call("POST", "/v1/campaigns", { token: large.key, body: { name: "Large", lead_ids: largeLeads } })).body.id as string;
  const b = (await stack.call("POST", "/v1/campaigns", { token: small.key, body: { name: "Small", lead_ids: smallLeads } })).body.id as string;
  // The large one is started first; under first-come-first-served the small one would wait for all 300.
  await stack.call("POST", `/v1/campaigns/${a}/start`, { token: large.key });
  await stack.call("POST", `/v1/campaigns/${b}/start`, { token: small.key });
  await until("the small campaign completed", () => campaign(small.key, b), (c) => c.status === "completed", 120_000);
  const largeAtThatPoint = await campaign(large.key, a);
  // Fair sharing gives the small workspace about half of the 10 slots while it has work: its 30
  // leads finish while the large one has done roughly 30 more, far from all 300.
  assert.ok(largeAtThatPoint.progress.completed < 150, `the large campaign had completed ${largeAtThatPoint.progress.completed} of 300 when the small one finished`);
  await until("the large campaign completed", () => campaign(large.key, a), (c) => c.status === "completed", 240_000);
  const stats = await stack.simGet("/_sim/stats");
  assert.ok(stats.vapi.max_concurrent <= 10, `the simulator saw ${stats.vapi.max_concurrent} live calls`);
  assert.equal(stats.vapi.rejected_429, 0);
  assert.equal(stats.vapi.total, 330, "each lead dialed once");
});

test("a CSV imported with ?campaign_id= is queued into the campaign, existing leads included and invalid rows left out; an unknown or finished campaign refuses the file", async () => {
  stack.sim.state.configure({ ring_ms: 10, call_duration_ms: [50, 100], webhook_delay_ms: [0, 10] });
  const { key } = await stack.allDayWorkspace({ max_concurrency: 10 });
  const [known] = await createLeads(key, [phone(400)]);
  const draft = await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "From a file", lead_ids: [known] } });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const id = draft.body.id as string;
  const rows = ["name,phone", `Known,${phone(400)}`, ...Array.from({ length: 30 }, (_, i) => `Lead ${i},${phone(401 + i)}`), "Broken,not-a-phone"].join("\n");
  const upload = (campaignId: string) => fetch(`${stack.base}/v1/leads/imports?campaign_id=${campaignId}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" }, body: rows });
  const unknown = await upload("cmp_doesnotexist");
  assert.equal(unknown.status, 404);
  const imported = await upload(id);
  assert.equal(imported.status, 202, await imported.clone().text());
  await until("the imported leads queued", () => campaign(key, id), (c) => c.progress.total === 31, 60_000);
  await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
  const done = await until("the imported leads were called", () => campaign(key, id), (c) => c.status === "completed", 60_000);
  assert.deepEqual(done.progress.by_outcome, { completed: 31 });
  assert.equal(await dialsTo(phone(400)), 1, "the known lead is in the campaign once");
  const finished = await upload(id);
  assert.equal(finished.status, 409);
});

test("a provider 429 is capacity, not failure: the lead is queued again without losing an attempt, and every lead completes", async () => {
  await fetch(`${stack.simUrl}/_sim/reset`, { method: "POST" });
  // The provider account allows 3 live calls while Parley's cap is 10: dials above 3 are refused
  // with 429. Calls last seconds, so the dialer is sure to try a fourth while three are live.
  stack.sim.state.configure({ ring_ms: 10, call_duration_ms: [1500, 2000], webhook_delay_ms: [0, 10], concurrency_limit: { vapi: 3 } });
  try {
    const { key } = await stack.allDayWorkspace({ max_concurrency: 10 });
    const leads = await createLeads(key, Array.from({ length: 15 }, (_, i) => phone(500 + i)));
    const id = (await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Throttled", lead_ids: leads, retry_policy: { failed: { max_attempts: 1, delay_minutes: 0 } } } })).body.id as string;
    await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
    const done = await until("completed despite the 429s", () => campaign(key, id), (c) => c.status === "completed", 60_000);
    assert.deepEqual(done.progress.by_outcome, { completed: 15 }, "no lead failed, though a failed attempt would have been its last");
    const stats = (await stack.simGet("/_sim/stats")).vapi;
    assert.ok(stats.rejected_429 > 0, "the provider did refuse dials");
    assert.ok(stats.max_concurrent <= 3);
    for (const i of [0, 7, 14]) assert.equal(await dialsTo(phone(500 + i)), 1);
  } finally {
    stack.sim.state.configure({ concurrency_limit: { vapi: 10 } });
  }
});
