import { test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { Value } from "typebox/value";
import { buildSimulator } from "../app";

// The official SDK is not installed in this workspace, so these tests speak its wire format directly:
// the same paths, headers and bodies it sends with baseURL = <simulator>/openai/v1.

const AUTH = { authorization: "Bearer sk-sim-test" };
const COMPLETIONS = "/openai/v1/chat/completions";

/** Like the analytics service's prompt, it names every outcome, which must not sway the answer. */
const SYSTEM_PROMPT =
  'You analyse sales calls. Report what happened as JSON. "meeting_booked" only if a time was agreed; "do_not_call" if the callee asked not to be contacted again; "voicemail" if a machine answered.';

const INSIGHT_SCHEMA = {
  type: "object",
  properties: {
    summary: { type: "string" },
    sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
    outcome: { type: "string", enum: ["meeting_booked", "interested", "not_interested", "wrong_number", "voicemail", "do_not_call"] },
    interest_level: { type: "string", enum: ["high", "medium", "low", "none"] },
    objections: { type: "array", items: { type: "string" } },
    meeting_time: { type: ["string", "null"] },
    next_action: { type: "string" },
    language: { type: "string" },
    has_budget: { type: "boolean" },
    company_size: { type: "string", enum: ["solo", "small", "medium", "large"] },
  },
  required: ["summary", "sentiment", "outcome", "interest_level", "objections", "meeting_time", "next_action", "language", "has_budget", "company_size"],
  additionalProperties: false,
};

interface Insight {
  summary: string;
  sentiment: string;
  outcome: string;
  interest_level: string;
  objections: string[];
  meeting_time: string | null;
  next_action: string;
  language: string;
  has_budget: boolean;
  company_size: string;
}

interface Completion {
  id: string;
  object: string;
  model: string;
  created: number;
  system_fingerprint: string;
  choices: { index: number; finish_reason: string; message: { role: string; content: string | null; refusal: string | null; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[] } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function withSimulator(run: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const { app } = await buildSimulator({ parleyUrl: "http://127.0.0.1:9" });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

const complete = (app: FastifyInstance, payload: Record<string, unknown>, headers: Record<string, string> = AUTH) => app.inject({ method: "POST", url: COMPLETIONS, headers, payload });
const configure = (app: FastifyInstance, openai: Record<string, unknown>) => app.inject({ method: "POST", url: "/_sim/config", payload: { openai } });
const requestsLog = async (app: FastifyInstance) => (await app.inject({ url: "/_sim/openai/requests" })).json<{ data: { model: string | null; kind: string; outcome: string; schema_name?: string }[] }>().data;
const requestCount = async (app: FastifyInstance) => (await app.inject({ url: "/_sim/stats" })).json<{ openai: { requests: number } }>().openai.requests;

const insightRequest = (transcript: string) => ({
  model: "gpt-4o-mini",
  temperature: 0,
  messages: [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: `Transcript:\n${transcript}` },
  ],
  response_format: { type: "json_schema", json_schema: { name: "call_insight", strict: true, schema: INSIGHT_SCHEMA } },
});

async function insightFor(app: FastifyInstance, transcript: string): Promise<Insight> {
  const response = await complete(app, insightRequest(transcript));
  assert.equal(response.statusCode, 200);
  const content = response.json<Completion>().choices[0]?.message.content;
  assert.equal(typeof content, "string");
  const insight: Insight = JSON.parse(content ?? "");
  assert.ok(Value.Check(INSIGHT_SCHEMA, insight), `not valid against the schema: ${content}`);
  return insight;
}

const MEETING = "AI: Hi Ada, this is Sam. Could we book a short demo?\nUser: Sure, Tuesday at 10am sounds good. Our budget is set, we are a small team, but it seems expensive.";

test("structured output: a strict schema gets a chat.completion whose content is valid JSON for it, read from the transcript", async () => {
  await withSimulator(async (app) => {
    const before = Date.now();
    const response = await complete(app, insightRequest(MEETING));
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers["x-request-id"]), /^req_\w+$/);
    const completion = response.json<Completion>();
    assert.match(completion.id, /^chatcmpl-[A-Za-z0-9]+$/);
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.model, "gpt-4o-mini");
    assert.equal(completion.system_fingerprint, "fp_sim");
    assert.ok(Math.abs(completion.created - before / 1000) < 5);
    const [choice] = completion.choices;
    assert.equal(choice?.finish_reason, "stop");
    assert.equal(choice?.message.role, "assistant");
    assert.equal(choice?.message.refusal, null);
    const { prompt_tokens, completion_tokens, total_tokens } = completion.usage;
    assert.ok(prompt_tokens > 0 && completion_tokens > 0);
    assert.equal(total_tokens, prompt_tokens + completion_tokens);

    const insight = await insightFor(app, MEETING);
    assert.equal(insight.outcome, "meeting_booked");
    assert.equal(insight.sentiment, "positive");
    assert.equal(insight.interest_level, "high");
    assert.match(insight.summary, /meeting/);
    assert.deepEqual(insight.objections, ["price"]);
    assert.equal(insight.language, "en");
    assert.equal(insight.has_budget, true);
    assert.equal(insight.company_size, "small");
    assert.ok(insight.next_action.length > 0);
    const meeting = new Date(insight.meeting_time ?? "");
    assert.equal(meeting.toISOString(), insight.meeting_time);
    assert.ok(meeting.getTime() > before, "the meeting is in the future");
    assert.equal(meeting.getUTCDay(), 2, "on a Tuesday");
    assert.equal(meeting.getUTCHours(), 10);
  });
});

test("structured output: the outcome follows what the callee said, and the other fields follow the outcome", async () => {
  await withSimulator(async (app) => {
    const notInterested = await insightFor(app, "AI: Would a demo next week work?\nUser: No thanks, we're not interested.");
    assert.deepEqual([notInterested.outcome, notInterested.sentiment, notInterested.interest_level, notInterested.meeting_time], ["not_interested", "neutral", "low", null]);
    assert.match(notInterested.summary, /not interested/);

    const optOut = await insightFor(app, "AI: Hi, this is Sam.\nUser: Don’t call me again.");
    assert.deepEqual([optOut.outcome, optOut.sentiment, optOut.meeting_time], ["do_not_call", "negative", null]);
    assert.match(optOut.summary, /not to be called/);

    const neutral = await insightFor(app, "AI: Hi, this is Sam with a quick question.\nUser: Okay, tell me more.");
    assert.deepEqual([neutral.outcome, neutral.sentiment, neutral.interest_level, neutral.meeting_time, neutral.objections], ["interested", "positive", "medium", null, []]);
    assert.equal(neutral.has_budget, false);
    assert.equal(neutral.company_size, "solo", "an enum the text does not mention gets its first value");
  });
});

test("fail_next acts out 429, 500, malformed and refusal in order, then normal service resumes", async () => {
  await withSimulator(async (app) => {
    const patched = await configure(app, { fail_next: [429, 500, "malformed", "refusal"] });
    assert.deepEqual(patched.json().openai.fail_next, [429, 500, "malformed", "refusal"]);

    const limited = await complete(app, insightRequest(MEETING));
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers["retry-after-ms"], "50");
    assert.deepEqual(limited.json(), { error: { message: "Rate limit reached for requests", type: "requests", param: null, code: "rate_limit_exceeded" } });

    const broken = await complete(app, insightRequest(MEETING));
    assert.equal(broken.statusCode, 500);
    assert.deepEqual(broken.json().error, { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null });

    const malformed = await complete(app, insightRequest(MEETING));
    assert.equal(malformed.statusCode, 200);
    const cutOff = malformed.json<Completion>().choices[0]?.message.content ?? "";
    assert.ok(cutOff.length > 0);
    assert.throws(() => JSON.parse(cutOff), SyntaxError);

    const refused = await complete(app, insightRequest(MEETING));
    assert.equal(refused.statusCode, 200);
    const refusal = refused.json<Completion>().choices[0];
    assert.equal(refusal?.message.content, null);
    assert.equal(refusal?.message.refusal, "I'm sorry, I can't help with that.");
    assert.equal(refusal?.finish_reason, "stop");

    assert.equal((await insightFor(app, MEETING)).outcome, "meeting_booked");
    assert.deepEqual((await app.inject({ url: "/_sim/config" })).json().openai.fail_next, []);
    assert.deepEqual(
      (await requestsLog(app)).map((r) => r.outcome),
      ["429", "500", "malformed", "refusal", "ok"],
    );
  });
});

test("every request is counted and logged in order, refused ones too; reset clears both", async () => {
  await withSimulator(async (app) => {
    await complete(app, insightRequest(MEETING));
    await complete(app, { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, {});
    await complete(app, { model: "gpt-4o", messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "opt_out", parameters: { type: "object", properties: {} } } }] });
    await complete(app, { model: "gpt-4o" });
    await app.inject({ url: "/openai/v1/models", headers: AUTH });
    assert.equal(await requestCount(app), 4, "only chat completions count");
    const log = await requestsLog(app);
    assert.deepEqual(
      log.map(({ model, kind, outcome, schema_name }) => ({ model, kind, outcome, schema_name })),
      [
        { model: "gpt-4o-mini", kind: "structured", outcome: "ok", schema_name: "call_insight" },
        { model: "gpt-4o", kind: "text", outcome: "401", schema_name: undefined },
        { model: "gpt-4o", kind: "tools", outcome: "ok", schema_name: undefined },
        { model: "gpt-4o", kind: "text", outcome: "400", schema_name: undefined },
      ],
    );
    await app.inject({ method: "POST", url: "/_sim/reset" });
    assert.equal(await requestCount(app), 0);
    assert.deepEqual(await requestsLog(app), []);
  });
});

const TOOLS = ["book_appointment", "check_availability", "opt_out", "handoff_to_human"].map((name) => ({
  type: "function",
  function: {
    name,
    description: `The ${name} tool`,
    parameters:
      name === "book_appointment"
        ? { type: "object", properties: { start: { type: "string", description: "ISO 8601" }, reason: { type: ["string", "null"] } }, required: ["start", "reason"], additionalProperties: false }
        : { type: "object", properties: {}, additionalProperties: false },
  },
}));

const chat = (...messages: { role: string; content: string; tool_call_id?: string }[]) => ({ model: "gpt-4o-mini", messages: [{ role: "system", content: "You are a booking assistant." }, ...messages], tools: TOOLS });

async function assistantTurn(app: FastifyInstance, payload: Record<string, unknown>) {
  const response = await complete(app, payload);
  assert.equal(response.statusCode, 200);
  const choice = response.json<Completion>().choices[0];
  assert.ok(choice);
  return choice;
}

test("tools: the last user message picks book_appointment or opt_out, or none; a tool result is acknowledged", async () => {
  await withSimulator(async (app) => {
    const before = Date.now();
    const booking = await assistantTurn(app, chat({ role: "user", content: "Hi! Can I book an appointment?" }));
    assert.equal(booking.finish_reason, "tool_calls");
    assert.equal(booking.message.content, null);
    const [call] = booking.message.tool_calls ?? [];
    assert.match(call?.id ?? "", /^call_[A-Za-z0-9]+$/);
    assert.equal(call?.type, "function");
    assert.equal(call?.function.name, "book_appointment");
    const args = JSON.parse(call?.function.arguments ?? "") as { start: string; reason: string | null };
    assert.deepEqual(Object.keys(args), ["start", "reason"]);
    assert.equal(args.reason, null);
    const start = new Date(args.start);
    assert.equal(start.toISOString(), args.start);
    assert.ok(start.getTime() > before && start.getTime() - before < 4 * 86_400_000, "the next working day");
    assert.ok(start.getUTCDay() >= 1 && start.getUTCDay() <= 5);
    assert.equal(start.getUTCHours(), 10);

    const optOut = await assistantTurn(app, chat({ role: "user", content: "Please stop messaging me." }));
    assert.equal(optOut.message.tool_calls?.[0]?.function.name, "opt_out");
    assert.deepEqual(JSON.parse(optOut.message.tool_calls?.[0]?.function.arguments ?? ""), {});

    const nothing = await assistantTurn(app, chat({ role: "user", content: "What a lovely day." }));
    assert.equal(nothing.finish_reason, "stop");
    assert.equal(nothing.message.tool_calls, undefined);
    assert.equal(nothing.message.content, "Thanks! How else can I help?");

    const booked = await assistantTurn(app, chat({ role: "user", content: "Book me in" }, { role: "tool", tool_call_id: call?.id ?? "", content: '{"status":"booked"}' }));
    assert.deepEqual([booked.finish_reason, booked.message.content], ["stop", "You're booked. See you then!"]);

    const silenced = await assistantTurn(app, { ...chat({ role: "user", content: "Book me in" }), tool_choice: "none" });
    assert.equal(silenced.message.tool_calls, undefined);
  });
});

test("plain and json_object requests get a line of text; models are listed", async () => {
  await withSimulator(async (app) => {
    const plain = await assistantTurn(app, { model: "gpt-4o", messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }] });
    assert.equal(plain.message.content, "Thanks for your message — how can I help?");
    const json = await assistantTurn(app, { model: "gpt-4o", messages: [{ role: "user", content: "Hello" }], response_format: { type: "json_object" } });
    assert.equal(typeof JSON.parse(json.message.content ?? "").reply, "string");

    const models = await app.inject({ url: "/openai/v1/models", headers: AUTH });
    assert.equal(models.statusCode, 200);
    assert.deepEqual(
      models.json<{ object: string; data: { id: string; object: string; owned_by: string }[] }>().data.map(({ id, object, owned_by }) => ({ id, object, owned_by })),
      [
        { id: "gpt-4o-mini", object: "model", owned_by: "simulator" },
        { id: "gpt-4o", object: "model", owned_by: "simulator" },
      ],
    );
  });
});

test("a missing key is a 401 and a missing parameter a 400, both in OpenAI's error shape", async () => {
  await withSimulator(async (app) => {
    for (const response of [await complete(app, insightRequest(MEETING), {}), await app.inject({ url: "/openai/v1/models" })]) {
      assert.equal(response.statusCode, 401);
      const { error } = response.json<{ error: { message: string; type: string; param: null; code: string } }>();
      assert.deepEqual({ ...error, message: "" }, { message: "", type: "invalid_request_error", param: null, code: "invalid_api_key" });
      assert.ok(error.message.length > 0);
    }

    const noMessages = await complete(app, { model: "gpt-4o-mini" });
    assert.equal(noMessages.statusCode, 400);
    assert.deepEqual(noMessages.json(), { error: { message: "Missing required parameter: 'messages'.", type: "invalid_request_error", param: "messages", code: "missing_required_parameter" } });
    const noModel = await complete(app, { messages: [{ role: "user", content: "hi" }] });
    assert.equal(noModel.json().error.param, "model");
    const badRole = await complete(app, { model: "gpt-4o-mini", messages: [{ role: "robot", content: "hi" }] });
    assert.equal(badRole.json().error.param, "messages[0].role");

    const unknownPath = await app.inject({ url: "/openai/v1/completions/legacy", headers: AUTH });
    assert.equal(unknownPath.statusCode, 404);
    assert.equal(unknownPath.json().error.type, "invalid_request_error");
  });
});

test("latency_ms delays each answer over real HTTP, and a reset answers a waiting request at once", { timeout: 10_000 }, async () => {
  await withSimulator(async (app) => {
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    await configure(app, { latency_ms: 100 });
    const started = performance.now();
    const response = await fetch(`${base}${COMPLETIONS}`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify(insightRequest(MEETING)) });
    assert.equal(response.status, 200);
    assert.ok(performance.now() - started >= 90, "answered before the configured latency");
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);

    // Long enough to tell a cancelled wait from one that ran out, short enough that a broken cancel fails rather than hangs.
    await configure(app, { latency_ms: 5_000 });
    const waiting = complete(app, insightRequest(MEETING));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const resetAt = performance.now();
    await app.inject({ method: "POST", url: "/_sim/reset" });
    assert.equal((await waiting).statusCode, 200);
    assert.ok(performance.now() - resetAt < 1000);
  });
});
