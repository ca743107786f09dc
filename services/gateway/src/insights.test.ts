// Post-call analysis through the public API: calls on the simulator end, analytics asks the
// simulator's OpenAI fake, and the call, the lead and the consent ledger follow.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { streamName } from "@parley/bus";
import { cleanup, NATS_URL } from "@parley/testing";
import { assertProblem, startTestStack, type TestStack } from "./test-stack";

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [100, 150] });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const QUALIFICATION = [
  { key: "has_budget", question: "Do they have a budget for this?", type: "boolean" },
  { key: "company_size", question: "How big is the company?", type: "enum", options: ["small", "large"] },
];

async function workspace(): Promise<string> {
  const { key } = await stack.allDayWorkspace();
  const profile = await stack.call("PATCH", "/v1/workspace", { token: key, body: { profile: { offer: "growth audits", qualification: QUALIFICATION } } });
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  return key;
}

async function openAiRequests(): Promise<number> {
  return ((await (await fetch(`${stack.simUrl}/_sim/stats`)).json()) as Json).openai.requests as number;
}

/** Calls the lead and waits for the call's insight to reach a final state. */
async function callAndAnalyse(key: string, phone: string): Promise<{ call: Json; leadId: string }> {
  const leadId = await stack.callableLead(key, phone);
  const placed = await stack.call("POST", "/v1/calls", { token: key, body: { lead_id: leadId } });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  await stack.untilEnded(key, placed.body.id);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const call = (await stack.call("GET", `/v1/calls/${placed.body.id}`, { token: key })).body;
    if (["succeeded", "skipped", "failed"].includes(call.insights?.status)) return { call, leadId };
    if (Date.now() > deadline) throw new Error(`insight still ${JSON.stringify(call.insights)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a normal call gets an insight with the workspace's qualification answers; the lead is qualified and its timeline shows the analysis", async () => {
  const key = await workspace();
  const before = await openAiRequests();
  const { call, leadId } = await callAndAnalyse(key, "+14155550401");
  const insight = call.insights;
  assert.equal(insight.status, "succeeded", JSON.stringify(insight));
  assert.equal(insight.outcome, "interested", JSON.stringify(insight));
  assert.equal(insight.sentiment, "positive", JSON.stringify(insight));
  assert.ok(insight.summary.length > 0);
  assert.deepEqual(Object.keys(insight.qualification).sort(), ["company_size", "has_budget"]);
  assert.deepEqual(insight.provider_analysis, { summary: "The callee talked with the assistant.", successEvaluation: "true" }, "Vapi's own analysis is kept beside ours");
  assert.equal(insight.prompt_version, "call-insight/1", JSON.stringify(insight));
  assert.equal(insight.model, "gpt-4o-mini", JSON.stringify(insight));
  assert.ok(insight.tokens.prompt > 0 && insight.tokens.completion > 0 && insight.llm_cost > 0, JSON.stringify(insight));
  assert.equal((await openAiRequests()) - before, 1, `one LLM request for the call: ${JSON.stringify(await (await fetch(`${stack.simUrl}/_sim/openai/requests`)).json())}`);
  const lead = await stack.untilTimeline(key, leadId, "call_analyzed");
  assert.equal(lead.status, "qualified", JSON.stringify(lead.timeline));
  assert.match(lead.timeline.find((e: Json) => e.kind === "call_analyzed").summary, /^Call analysed: interested/);
});

test("a transcript under five words is skipped without an LLM request", async () => {
  const key = await workspace();
  const before = await openAiRequests();
  const { call } = await callAndAnalyse(key, "+14155550110");
  assert.equal(call.insights.status, "skipped");
  assert.match(call.insights.reason, /under 5/);
  assert.equal(await openAiRequests(), before);
});

test("do_not_call opts the lead out of every channel, and a later dial is refused", async () => {
  const key = await workspace();
  const { call, leadId } = await callAndAnalyse(key, "+14155550109");
  assert.equal(call.insights.outcome, "do_not_call");
  const deadline = Date.now() + 10_000;
  let lead = (await stack.call("GET", `/v1/leads/${leadId}`, { token: key })).body;
  while (!(lead.opted_out.voice && lead.status === "do_not_call") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    lead = (await stack.call("GET", `/v1/leads/${leadId}`, { token: key })).body;
  }
  assert.deepEqual([lead.opted_out, lead.status], [{ voice: true, whatsapp: true }, "do_not_call"]);
  assertProblem(await stack.call("POST", "/v1/calls", { token: key, body: { lead_id: leadId } }), 409);
});

test("bad answers never stop the pipeline: malformed then a refusal fail the insight with the raw answer kept; a 429 is retried", async () => {
  const key = await workspace();
  stack.sim.state.configure({ openai: { fail_next: ["malformed", "refusal"] } });
  const failed = (await callAndAnalyse(key, "+14155550402")).call.insights;
  assert.equal(failed.status, "failed");
  assert.match(failed.reason, /refused/);
  stack.sim.state.configure({ openai: { fail_next: [429] } });
  const retried = (await callAndAnalyse(key, "+14155550403")).call.insights;
  assert.equal(retried.status, "succeeded", JSON.stringify(retried));
  const next = (await callAndAnalyse(key, "+14155550404")).call.insights;
  assert.equal(next.status, "succeeded", "the worker goes on");
});

test("call_ended delivered three times gives one insight and one LLM request", async () => {
  const key = await workspace();
  const before = await openAiRequests();
  const { call } = await callAndAnalyse(key, "+14155550405");
  const nc = await connect({ servers: NATS_URL });
  cleanup(() => nc.close());
  const stream = streamName("voice", stack.prefix);
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  let original;
  for (let seq = info.state.last_seq; seq >= info.state.first_seq && !original; seq--) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m?.subject.includes(".voice.call_ended.") && m.header.get("parley-event-id") && m.data.length && new TextDecoder().decode(m.data).includes(call.id)) original = m;
  }
  assert.ok(original, "the call's call_ended is in the stream");
  const js = jetstream(nc);
  for (let copy = 1; copy <= 2; copy++) {
    const h = natsHeaders();
    for (const [k, v] of original.header) if (v[0] !== undefined) h.set(k, v[0]);
    // A new message id, so JetStream keeps it: only the consumers' inbox can tell it is a copy.
    await js.publish(original.subject, original.data, { msgID: `copy-${copy}-${call.id}`, headers: h });
  }
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await openAiRequests()) - before, 1);
  assert.equal((await stack.call("GET", `/v1/calls/${call.id}`, { token: key })).body.insights.status, "succeeded");
});

test("the summary's numbers match a count made from the test's own calls", async () => {
  const key = await workspace();
  const calls = [];
  for (const phone of ["+14155550406", "+14155550101", "+14155550108"]) calls.push((await callAndAnalyse(key, phone)).call);
  const today = new Date().toISOString().slice(0, 10);
  const summary = await stack.call("GET", `/v1/analytics/summary?from=${today}&to=${today}`, { token: key });
  assert.equal(summary.status, 200, JSON.stringify(summary.body));
  const s = summary.body;
  const connected = calls.filter((c) => c.ended_reason === "completed");
  const outcomes: Record<string, number> = {};
  for (const c of calls) if (c.insights.status === "succeeded") outcomes[c.insights.outcome] = (outcomes[c.insights.outcome] ?? 0) + 1;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
  assert.equal(s.calls, 3);
  assert.equal(s.connected, connected.length);
  assert.equal(s.connect_rate, Math.round((connected.length / 3) * 10_000) / 10_000);
  assert.deepEqual(s.outcomes, outcomes);
  assert.equal(s.meetings_booked, outcomes.meeting_booked ?? 0);
  assert.equal(s.analyzed, Object.values(outcomes).reduce((a, b) => a + b, 0));
  assert.equal(s.average_talk_seconds, Math.round((connected.reduce((sum, c) => sum + c.duration_seconds, 0) / connected.length) * 10) / 10);
  assert.ok(near(s.cost.telephony, calls.reduce((sum, c) => sum + c.cost, 0)), `${s.cost.telephony}`);
  assert.ok(near(s.cost.llm, calls.reduce((sum, c) => sum + c.insights.llm_cost, 0)), `${s.cost.llm}`);
  const byTime = await stack.call("GET", `/v1/analytics/summary?from=${encodeURIComponent(`${today}T00:00:00Z`)}`, { token: key });
  assert.deepEqual([byTime.body.calls, byTime.body.from], [3, today], "a date-time stands for its UTC day");
  const other = await stack.call("GET", "/v1/analytics/summary?from=2020-01-01&to=2020-01-02", { token: key });
  assert.equal(other.body.calls, 0, "a range without calls");
  assertProblem(await stack.call("GET", `/v1/analytics/summary?from=${today}&to=2020-01-01`, { token: key }), 400);
  assertProblem(await stack.call("GET", "/v1/analytics/summary?from=yesterday", { token: key }), 400);
});

test("a workspace's own OpenAI integration is used for its calls: its model, its key", async () => {
  const key = await workspace();
  const put = await stack.call("PUT", "/v1/integrations/openai", { token: key, body: { api_key: "sk-workspace-own", model: "gpt-4o" } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const listed = (await stack.call("GET", "/v1/integrations", { token: key })).body.data.find((i: Json) => i.kind === "openai");
  assert.equal(listed.configured, true);
  const { call } = await callAndAnalyse(key, "+14155550407");
  assert.equal(call.insights.status, "succeeded");
  assert.equal(call.insights.model, "gpt-4o");
  const { data } = (await (await fetch(`${stack.simUrl}/_sim/openai/requests`)).json()) as { data: Json[] };
  assert.equal(data.at(-1)?.model, "gpt-4o");
});
