// The WhatsApp channel end to end: the simulator plays Twilio, Meta and OpenAI; webhooks go through
// the gateway's ingress, the WEBHOOKS stream and the whatsapp service's consumer and agent.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startTestStack, until, type TestStack } from "./test-stack";
import { addWhatsAppSender, outboxOf, registerWithSimulator, type MessagingProvider, type MetaSender } from "./whatsapp-fixtures";

let stack: TestStack;
// The agent answers once a lead has been quiet this long (800 ms by default).
const QUIET_MS = 300;

before(async () => {
  stack = await startTestStack({ whatsappEnv: { AGENT_QUIET_MS: String(QUIET_MS) } });
});

/** A workspace with a sales profile and its own WhatsApp sender on `provider`. */
async function whatsappWorkspace(provider: MessagingProvider) {
  const ws = await stack.newWorkspace(`WhatsApp ${provider}`);
  const profile = await stack.call("PATCH", "/v1/workspace", { token: ws.key, body: { profile: { persona: "Ana, the solar advisor of Sunny Roofs", offer: "rooftop solar panels", pricing: "from 4,000 EUR" } } });
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  const sender = await addWhatsAppSender(stack, ws.key, provider);
  return { ...ws, number: sender.number, sender };
}

const outbox = (to: string) => outboxOf(stack, to);
const chatRequests = async (): Promise<{ outcome: string; kind: string; messages?: { role: string; text: string }[] }[]> => (await stack.simGet("/_sim/openai/requests")).data;

async function conversationOf(key: string, phone: string) {
  const leads = await stack.call("GET", `/v1/leads?q=${encodeURIComponent(phone)}`, { token: key });
  const lead = leads.body.data.find((l: { phone: string }) => l.phone === phone);
  assert.ok(lead, `a lead for ${phone}`);
  const conversations = await stack.call("GET", `/v1/conversations?lead_id=${lead.id}`, { token: key });
  assert.equal(conversations.body.data.length, 1);
  const messages = await stack.call("GET", `/v1/conversations/${conversations.body.data[0].id}/messages`, { token: key });
  return { lead, conversation: conversations.body.data[0], messages: messages.body.data as { direction: string; text: string; status: string; origin: string }[] };
}

let customers = 0;
const customer = () => `+3461${String(2000000 + ++customers).padStart(7, "0")}`;

for (const provider of ["twilio", "meta"] as const) {
  test(`${provider}: an inbound message gets one reply written with the workspace profile, delivered and read; the conversation is readable`, async () => {
    await stack.simPost("/_sim/reset", {});
    const ws = await whatsappWorkspace(provider);
    const from = customer();
    // Delivered three times, as a provider retrying would: one message, one turn, one reply.
    const inbound = await stack.simPost("/_sim/whatsapp/inbound", { provider, from, to: ws.number, text: "Hi! How much are your panels?", deliveries: 3, profile_name: "Marta" });
    assert.deepEqual(inbound.deliveries.map((d: { status_code: number }) => d.status_code), [200, 200, 200]);
    const [reply] = await until("the reply is read", () => outbox(from), (o) => o.length > 0 && o[0]!.status === "read");
    assert.equal(reply!.kind, "text");
    await new Promise((r) => setTimeout(r, QUIET_MS + 500));
    assert.equal((await outbox(from)).length, 1, "one reply");
    const requests = (await chatRequests()).filter((r) => r.kind === "tools");
    assert.equal(requests.length, 1, "one LLM call");
    assert.match(requests[0]!.messages![0]!.text, /Ana, the solar advisor of Sunny Roofs/);
    assert.match(requests[0]!.messages![0]!.text, /from 4,000 EUR/);
    assert.deepEqual(requests[0]!.messages!.filter((m) => m.role === "user").map((m) => m.text), ["Hi! How much are your panels?"]);

    const { lead, conversation, messages } = await until(
      "the reply's status is read in Parley",
      () => conversationOf(ws.key, from),
      (c) => c.messages.length === 2 && c.messages[1]!.status === "read",
    );
    assert.equal(lead.name, "Marta");
    assert.equal(conversation.provider, provider);
    assert.ok(Date.parse(conversation.window_expires_at) > Date.now() + 23 * 3600_000, "the window is open for 24 h");
    assert.deepEqual(
      messages.map((m) => [m.direction, m.origin, m.status]),
      [
        ["inbound", "lead", "received"],
        ["outbound", "agent", "read"],
      ],
    );
    assert.equal(messages[1]!.text, reply!.text);
  });
}

test("two messages 100 ms apart make one turn that reads both; two leads are answered side by side", async () => {
  await stack.simPost("/_sim/reset", {});
  const ws = await whatsappWorkspace("twilio");
  const [a, b] = [customer(), customer()];
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from: a, to: ws.number, text: "Hello" });
  await new Promise((r) => setTimeout(r, 100));
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from: a, to: ws.number, text: "Do you install in Valencia?" });
  await until("a's reply", () => outbox(a), (o) => o.length === 1);
  const [first] = (await chatRequests()).filter((r) => r.kind === "tools");
  assert.deepEqual(first!.messages!.filter((m) => m.role === "user").map((m) => m.text), ["Hello", "Do you install in Valencia?"]);

  // With a slow model, the second lead's turn starts before the first one's answer comes back.
  await stack.simPost("/_sim/reset", {});
  await registerWithSimulator(stack, ws.sender);
  await stack.simPost("/_sim/config", { openai: { latency_ms: 1500 } });
  await Promise.all([a, b].map((from) => stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from, to: ws.number, text: "Still there?" })));
  await until("both replies", async () => [...(await outbox(a)), ...(await outbox(b))], (o) => o.length === 2);
  const starts = (await stack.simGet("/_sim/openai/requests")).data.map((r: { at: string }) => Date.parse(r.at)) as number[];
  assert.equal(starts.length, 2);
  assert.ok(Math.abs(starts[0]! - starts[1]!) < 1500, `the second LLM call began ${Math.abs(starts[0]! - starts[1]!)} ms after the first, while it was still running`);
  await stack.simPost("/_sim/config", { openai: { latency_ms: 0 } });
});

test("OpenAI 429 then 500 is retried with back-off, then one reply; the model is not asked again", async () => {
  await stack.simPost("/_sim/reset", {});
  const ws = await whatsappWorkspace("meta");
  await stack.simPost("/_sim/config", { openai: { fail_next: [429, 500] } });
  const from = customer();
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "meta", from, to: ws.number, text: "Can you tell me more?" });
  await until("the reply", () => outbox(from), (o) => o.length === 1);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual((await chatRequests()).map((r) => r.outcome), ["429", "500", "ok"]);
  assert.equal((await outbox(from)).length, 1);
});

test("a reply the provider refuses with 500 then 429 is sent again later, and the model is not asked again", async () => {
  await stack.simPost("/_sim/reset", {});
  const ws = await whatsappWorkspace("twilio");
  await stack.simPost("/_sim/config", { whatsapp: { fail_next: [500, 429] } });
  const from = customer();
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from, to: ws.number, text: "Is anyone there?" });
  await until("the reply", () => outbox(from), (o) => o.length === 1);
  const { messages } = await until("the reply is read in Parley", () => conversationOf(ws.key, from), (c) => c.messages.length === 2 && c.messages[1]!.status === "read");
  assert.equal((await stack.simGet("/_sim/stats")).whatsapp.injected_failures, 2, "both refusals were met");
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await chatRequests()).length, 1, "one LLM call for the turn");
  const delivered = await outbox(from);
  assert.equal(delivered.length, 1, "one reply");
  assert.equal(delivered[0]!.text, messages[1]!.text);
});

test("STOP opts the lead out of every channel: no reply, and voice refuses to call", async () => {
  await stack.simPost("/_sim/reset", {});
  const ws = await whatsappWorkspace("twilio");
  const from = customer();
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from, to: ws.number, text: "STOP" });
  const lead = await until(
    "the lead is opted out",
    async () => (await stack.call("GET", `/v1/leads?q=${encodeURIComponent(from)}`, { token: ws.key })).body.data[0],
    (l) => !!l && l.opted_out.voice && l.opted_out.whatsapp,
  );
  const call = await stack.call("POST", "/v1/calls", { token: ws.key, body: { lead_id: lead.id } });
  assert.equal(call.status, 409, JSON.stringify(call.body));
  await new Promise((r) => setTimeout(r, QUIET_MS + 700));
  assert.deepEqual(await outbox(from), []);
  assert.equal((await chatRequests()).length, 0);
});

test("forged signatures are 401 and leave nothing behind; Meta's subscription handshake needs the verify token", async () => {
  const ws = await whatsappWorkspace("meta");
  const twilio = await whatsappWorkspace("twilio");
  const meta = ws.sender as MetaSender;
  const from = customer();
  const form = new URLSearchParams({ MessageSid: "SM" + "f".repeat(32), AccountSid: `AC${"0".repeat(32)}`, From: `whatsapp:${from}`, To: `whatsapp:${twilio.number}`, Body: "forged" });
  const forgedTwilio = await fetch(`${stack.base}/webhooks/twilio/whatsapp`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl" }, body: form.toString() });
  assert.equal(forgedTwilio.status, 401);
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "waba", changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: ws.number.slice(1), phone_number_id: meta.credentials.phone_number_id }, messages: [{ from: from.slice(1), id: "wamid.forged", timestamp: "1700000000", type: "text", text: { body: "forged" } }] } }] }],
  });
  const wrongKey = `sha256=${createHmac("sha256", "not-the-app-secret").update(body).digest("hex")}`;
  for (const signature of [wrongKey, undefined]) {
    const res = await fetch(`${stack.base}/webhooks/meta/whatsapp`, { method: "POST", headers: { "content-type": "application/json", ...(signature ? { "x-hub-signature-256": signature } : {}) }, body });
    assert.equal(res.status, 401);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const key of [ws.key, twilio.key]) assert.deepEqual((await stack.call("GET", "/v1/conversations", { token: key })).body.data, []);

  const challenge = (token: string) => fetch(`${stack.base}/webhooks/meta/whatsapp?workspace=${ws.id}&hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
  const ok = await challenge(meta.credentials.verify_token);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), "1158201444");
  assert.equal((await challenge("wrong")).status, 403);
});

test("a sender number belongs to one workspace", async () => {
  const first = await whatsappWorkspace("twilio");
  const other = await stack.newWorkspace("Other");
  const res = await stack.call("PUT", "/v1/integrations/twilio", { token: other.key, body: { account_sid: `AC${"b".repeat(32)}`, auth_token: "x", whatsapp_from: first.number } });
  assert.equal(res.status, 409, JSON.stringify(res.body));
});
