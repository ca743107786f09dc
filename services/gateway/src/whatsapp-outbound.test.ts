// Business-initiated WhatsApp: the 24-hour window, templates, the window fallback, paced
// broadcasts and the voice → WhatsApp follow-up, through the simulator's Twilio.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startTestStack, until, type TestStack } from "./test-stack";
import { addWhatsAppSender, messagesOf as messagesOfLead, outboxOf } from "./whatsapp-fixtures";

let stack: TestStack;

before(async () => {
  stack = await startTestStack({ whatsappEnv: { AGENT_QUIET_MS: "200" } });
});

const outbox = (to: string) => outboxOf(stack, to);

/** A workspace on its own Twilio sender, optionally with settings. */
async function twilioWorkspace(settings: Record<string, unknown> = {}) {
  const ws = await stack.allDayWorkspace(settings);
  const sender = await addWhatsAppSender(stack, ws.key, "twilio");
  return { ...ws, number: sender.number, credentials: sender.credentials };
}

const messagesOf = (key: string, leadId: string) => messagesOfLead(stack, key, leadId);

test("outside the window free text is refused with 409 and a hint; a template goes, and is listed as approved", async () => {
  const ws = await twilioWorkspace();
  const phone = "+34622000011";
  const lead = await stack.callableLead(ws.key, phone);
  const refused = await stack.call("POST", "/v1/messages", { token: ws.key, body: { lead_id: lead, text: "Hi there" } });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.detail, /24-hour window/);
  assert.match(JSON.stringify(refused.body), /template/);

  const templates = await stack.call("GET", "/v1/templates", { token: ws.key });
  assert.equal(templates.status, 200, JSON.stringify(templates.body));
  assert.deepEqual(templates.body.data.map((t: { name: string; status: string }) => [t.name, t.status]).sort(), [["parley_followup", "APPROVED"], ["parley_hello", "APPROVED"]]);

  const wrong = await stack.call("POST", "/v1/messages", { token: ws.key, body: { lead_id: lead, template: { name: "parley_hello", language: "en", variables: ["Grace"] } } });
  assert.equal(wrong.status, 400, "parley_hello takes two variables");
  const sent = await stack.call("POST", "/v1/messages", { token: ws.key, body: { lead_id: lead, template: { name: "parley_hello", language: "en", variables: ["Grace", "solar panels"] } } });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  assert.equal(sent.body.status, "queued");
  const [delivered] = await until("the template is read", () => outbox(phone), (o) => o[0]?.status === "read");
  assert.equal(delivered!.template, "parley_hello");
  assert.match(delivered!.text, /Hi Grace, thanks for your interest in solar panels/);
  const unknown = await stack.call("POST", "/v1/messages", { token: ws.key, body: { lead_id: lead, template: { name: "nope", language: "en" } } });
  assert.equal(unknown.status, 404);
});

test("free text refused by the provider as outside the window (63016) falls back to the default template, once", async () => {
  const ws = await twilioWorkspace();
  const marked = await stack.call("POST", "/v1/templates", { token: ws.key, body: { name: "parley_followup", language: "en", default: true } });
  assert.equal(marked.status, 200, JSON.stringify(marked.body));
  assert.equal(marked.body.default, true);
  // …0202: the simulator accepts free text, then fails it with 63016.
  const phone = "+34622110202";
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "twilio", from: phone, to: ws.number, text: "Hello?", profile_name: "Rosa" });
  const sent = await until("the reply failed and the template went instead", () => outbox(phone), (o) => o.length === 2 && o[1]!.status === "read");
  assert.deepEqual(
    sent.map((m) => [m.kind, m.template, m.status, m.error_code === null ? null : String(m.error_code)]),
    [
      ["text", null, "failed", "63016"],
      ["template", "parley_followup", "read", null],
    ],
  );
  assert.match(sent[1]!.text, /Hi Rosa/);
  const lead = (await stack.call("GET", `/v1/leads?q=${encodeURIComponent(phone)}`, { token: ws.key })).body.data[0];
  const messages = await until("Parley shows both", () => messagesOf(ws.key, lead.id), (m) => m.length === 3 && m[2]!.status === "read");
  assert.deepEqual(
    messages.map((m) => [m.direction, m.origin, m.status, m.error_code]),
    [
      ["inbound", "lead", "received", null],
      ["outbound", "agent", "failed", "63016"],
      ["outbound", "fallback", "read", null],
    ],
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await outbox(phone)).length, 2, "one fallback only");
});

test("a broadcast to 1,000 leads at 50 msg/s is paced (never faster), completes and skips the opted-out", async () => {
  const ws = await twilioWorkspace();
  // Ending in 5: none is one of the simulator's test numbers (…0201 to …0203).
  const phones = Array.from({ length: 1000 }, (_, i) => `+34623${String(i).padStart(5, "0")}5`);
  const csv = `phone,name\n${phones.map((p, i) => `${p},Lead ${i}`).join("\n")}\n`;
  const upload = await fetch(`${stack.base}/v1/leads/imports`, { method: "POST", headers: { authorization: `Bearer ${ws.key}`, "content-type": "text/csv" }, body: csv });
  assert.equal(upload.status, 202);
  const importId = ((await upload.json()) as { import: { id: string } }).import.id;
  await until("the import", async () => (await stack.call("GET", `/v1/leads/imports/${importId}`, { token: ws.key })).body.import.status, (s) => s === "completed", 60_000);
  const optedOut = phones.slice(0, 10);
  for (const phone of optedOut) {
    const lead = (await stack.call("GET", `/v1/leads?q=${encodeURIComponent(phone)}`, { token: ws.key })).body.data[0];
    assert.equal((await stack.call("POST", `/v1/leads/${lead.id}/opt-out`, { token: ws.key, body: { channels: ["whatsapp"], reason: "asked" } })).status, 200);
  }
  // Every service of this test stack shares one event loop: 3,000 status webhooks on top of 1,000
  // sends would measure that loop, not the pacing. Statuses still advance in the simulator.
  await stack.simPost("/_sim/config", { whatsapp: { status_webhooks: false } });
  const started = Date.now();
  const created = await stack.call("POST", "/v1/whatsapp/broadcasts", { token: ws.key, body: { template: { name: "parley_hello", language: "en", variables: ["{{lead.name}}", "our offer"] }, lead_filter: {}, rate_per_second: 50 } });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const done = await until("the broadcast completes", async () => (await stack.call("GET", `/v1/whatsapp/broadcasts/${created.body.id}`, { token: ws.key })).body, (b) => b.status === "completed", 180_000);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(done.progress.total, 990);
  assert.equal(done.progress.skipped_opted_out, 10);
  // 990 messages at 50 per second cannot take less than 19.8 s. How close to it a run gets is a
  // matter for the benchmark: here other test files share the cores.
  assert.ok(seconds >= 19, `took ${seconds} s: faster than 50 msg/s`);
  await stack.simPost("/_sim/config", { whatsapp: { status_webhooks: true } });
  assert.equal((await stack.simGet("/_sim/stats")).whatsapp.rejected_429, 0);
  for (const phone of optedOut) assert.deepEqual(await outbox(phone), [], `${phone} opted out`);
  const [first] = await outbox(phones[500]!);
  assert.match(first!.text, /Hi Lead 500, thanks for your interest in our offer/);
});

test("a call that ends unanswered sends the follow-up template once per lead", async () => {
  const ws = await twilioWorkspace({ whatsapp_follow_up: { template: { name: "parley_followup", language: "en" }, on: ["no_answer", "voicemail"] } });
  await stack.simPost("/_sim/config", { ring_ms: 20, call_duration_ms: [50, 100] });
  // …0101: rings out with no answer.
  const phone = "+34622330101";
  const lead = await stack.callableLead(ws.key, phone);
  for (let i = 0; i < 2; i++) {
    const call = await stack.call("POST", "/v1/calls", { token: ws.key, body: { lead_id: lead } });
    assert.equal(call.status, 201, JSON.stringify(call.body));
    assert.equal((await stack.untilEnded(ws.key, call.body.id)).ended_reason, "no_answer");
  }
  const [followUp] = await until("the follow-up", () => outbox(phone), (o) => o.length > 0);
  assert.equal(followUp!.template, "parley_followup");
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await outbox(phone)).length, 1, "once per lead");
});
