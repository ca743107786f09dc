// Calling hours and retries under a clock the test moves by hand: the dialer's only notion of time.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { testPool } from "@parley/testing";
import { startTestStack, type TestStack } from "./test-stack";

let stack: TestStack;
let voiceDb: pg.Pool;
// Monday 2026-11-23 01:00 UTC: 10:00 in Tokyo, 20:00 on Sunday in New York, 02:00 in Madrid.
let clock = new Date("2026-11-23T01:00:00Z");

before(async () => {
  stack = await startTestStack({ now: () => clock, voiceEnv: { VOICE_DISPATCH_TICK_MS: "100" } });
  voiceDb = testPool(stack.voiceDbUrl);
});

const dialed = async (phone: string) => (await stack.simGet(`/_sim/calls?to=${encodeURIComponent(phone)}`)).data.length as number;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Nothing happens for a while: the dialer had its chances (ticks every 100 ms) and did not dial. */
const settle = () => new Promise((r) => setTimeout(r, 800));

test("no dial outside calling hours in each lead's time zone; retries are scheduled per policy and wait for the window", async () => {
  stack.sim.state.configure({ ring_ms: 10, call_duration_ms: [50, 50], webhook_delay_ms: [0, 5] });
  const res = await stack.call("POST", "/v1/workspaces", {
    token: "test-admin-token-0123456789",
    body: { name: "Hours", timezone: "UTC", settings: { calling_hours: { start: "09:00", end: "17:00" }, days: ["mon", "tue", "wed", "thu", "fri"], max_concurrency: 10 } },
  });
  const key = res.body.api_key.secret as string;
  const lead = async (body: Record<string, unknown>) => (await stack.call("POST", "/v1/leads", { token: key, body })).body.id as string;
  const tokyo = await lead({ phone: "+34611110101", timezone: "Asia/Tokyo" }); // 0101: never answers
  const newYork = await lead({ phone: "+34611115000", timezone: "America/New_York" });
  const madrid = await lead({ phone: "+34611125000" }); // Spain by its number: Madrid and the Canaries
  const usa = await lead({ phone: "+14155550177" }); // the USA by its number: every mainland zone
  const created = await stack.call("POST", "/v1/campaigns", {
    token: key,
    body: { name: "Around the world", lead_ids: [tokyo, newYork, madrid, usa], retry_policy: { no_answer: { max_attempts: 2, delay_minutes: 60 }, jitter: 0 } },
  });
  const id = created.body.id as string;
  await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });

  // 01:00 UTC: only Tokyo is inside 09:00–17:00.
  await until("Tokyo dialed", async () => (await dialed("+34611110101")) === 1);
  await settle();
  assert.equal(await dialed("+34611115000") + (await dialed("+34611125000")) + (await dialed("+14155550177")), 0, "nobody outside their hours");
  const due = async (leadId: string) => (await voiceDb.query<{ due_at: Date; state: string }>("select due_at, state from campaign_leads where lead_id = $1", [leadId])).rows[0]!;
  assert.equal((await due(newYork)).due_at.toISOString(), "2026-11-23T14:00:00.000Z", "New York waits for 09:00 its time");
  assert.equal((await due(madrid)).due_at.toISOString(), "2026-11-23T09:00:00.000Z", "the Canaries open an hour after Madrid: both must be open");
  assert.equal((await due(usa)).due_at.toISOString(), "2026-11-23T17:00:00.000Z", "09:00 in Los Angeles");

  // Tokyo's no-answer is retried 60 minutes later, at 02:00 UTC.
  await until("Tokyo's retry scheduled", async () => (await due(tokyo)).state === "queued");
  assert.equal((await due(tokyo)).due_at.toISOString(), "2026-11-23T02:00:00.000Z");
  clock = new Date("2026-11-23T01:59:00Z");
  await settle();
  assert.equal(await dialed("+34611110101"), 1, "not before the retry is due");
  clock = new Date("2026-11-23T02:00:00Z");
  await until("Tokyo retried", async () => (await dialed("+34611110101")) === 2);

  // 09:30 UTC: Madrid and the Canaries are open; New York and the USA are not.
  clock = new Date("2026-11-23T09:30:00Z");
  await until("Madrid dialed", async () => (await dialed("+34611125000")) === 1);
  await settle();
  assert.equal(await dialed("+34611115000") + (await dialed("+14155550177")), 0);

  clock = new Date("2026-11-23T14:00:00Z");
  await until("New York dialed", async () => (await dialed("+34611115000")) === 1);
  await settle();
  assert.equal(await dialed("+14155550177"), 0, "Los Angeles is still at 06:00");

  clock = new Date("2026-11-23T17:00:00Z");
  await until("the USA dialed", async () => (await dialed("+14155550177")) === 1);
  await until("completed", async () => (await stack.call("GET", `/v1/campaigns/${id}`, { token: key })).body.status === "completed");
  const done = (await stack.call("GET", `/v1/campaigns/${id}`, { token: key })).body;
  assert.deepEqual(done.progress.by_outcome, { no_answer: 1, completed: 3 });
});

test("a retry that comes due outside the window waits for the next opening", async () => {
  clock = new Date("2026-11-27T16:30:00Z"); // Friday 16:30 UTC
  const res = await stack.call("POST", "/v1/workspaces", {
    token: "test-admin-token-0123456789",
    body: { name: "Friday", timezone: "UTC", settings: { calling_hours: { start: "09:00", end: "17:00" }, days: ["mon", "tue", "wed", "thu", "fri"] } },
  });
  const key = res.body.api_key.secret as string;
  const busy = (await stack.call("POST", "/v1/leads", { token: key, body: { phone: "+34611130102", timezone: "UTC" } })).body.id as string;
  const id = (await stack.call("POST", "/v1/campaigns", { token: key, body: { name: "Late", lead_ids: [busy], retry_policy: { busy: { max_attempts: 2, delay_minutes: 45 }, jitter: 0 } } })).body.id;
  await stack.call("POST", `/v1/campaigns/${id}/start`, { token: key });
  await until("dialed once", async () => (await dialed("+34611130102")) === 1);
  const entry = async () => (await voiceDb.query<{ due_at: Date; state: string }>("select due_at, state from campaign_leads where lead_id = $1", [busy])).rows[0]!;
  await until("retry scheduled", async () => (await entry()).state === "queued");
  assert.equal((await entry()).due_at.toISOString(), "2026-11-27T17:15:00.000Z", "due 45 minutes later, after hours");
  clock = new Date("2026-11-27T17:20:00Z");
  await until("pushed to Monday's opening", async () => (await entry()).due_at.toISOString() === "2026-11-30T09:00:00.000Z");
  assert.equal(await dialed("+34611130102"), 1);
  clock = new Date("2026-11-30T09:00:00Z");
  await until("retried on Monday", async () => (await dialed("+34611130102")) === 2);
});
