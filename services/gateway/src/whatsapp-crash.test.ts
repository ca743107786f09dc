// The whatsapp service killed (SIGKILL) while a provider is still answering the send of an agent's
// reply: the reply reached the provider, our process never heard back. Delivery is at most once,
// so the restarted service must not send it again; the provider's status callbacks, which carry
// our message id, complete the message instead. Meta retries a webhook that was not answered 200
// for days, so the callbacks refused while whatsapp was down (the gateway cannot verify them
// without it) come back; the simulator's retries are stretched to a minute to play that.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { startTestStack, until, type TestStack } from "./test-stack";
import { addWhatsAppSender, messagesOf, outboxOf } from "./whatsapp-fixtures";

let stack: TestStack;

before(async () => {
  // A short lease: the dead replica's hold on the conversation lapses quickly.
  stack = await startTestStack({ whatsappProcess: true, whatsappEnv: { AGENT_QUIET_MS: "200", AGENT_LEASE_MS: "3000" } });
});

const chatRequests = async (): Promise<unknown[]> => (await stack.simGet("/_sim/openai/requests")).data;

test("killed while the provider answers a reply's send: after a restart the reply is not sent again, callbacks complete it, and the next message is answered", async () => {
  const ws = await stack.newWorkspace("Crash");
  const sender = await addWhatsAppSender(stack, ws.key, "meta");
  const replica = stack.whatsappReplica!;
  const from = "+34612999001";
  await stack.simPost("/_sim/config", { whatsapp: { answer_delay_ms: 8000, webhook_retry_ms: [500, 1000, 2000, 4000, ...Array(7).fill(8000)] } });
  await stack.simPost("/_sim/whatsapp/inbound", { provider: "meta", from, to: sender.number, text: "Hello, is this the solar company?" });
  await until("the provider has the reply", () => outboxOf(stack, from), (o) => o.length === 1, 60_000);
  await replica.kill();
  await stack.simPost("/_sim/config", { whatsapp: { answer_delay_ms: 0 } });
  await replica.launch();
  await until("the gateway reaches whatsapp again", async () => (await stack.call("GET", "/v1/conversations", { token: ws.key })).status, (status) => status === 200);

  const lead = (await stack.call("GET", `/v1/leads?q=${encodeURIComponent(from)}`, { token: ws.key })).body.data[0];
  assert.ok(lead, "the inbound message made a lead");
  const messages = await until("the reply is read in Parley", () => messagesOf(stack, ws.key, lead.id), (m) => m.length === 2 && m[1]!.status === "read", 90_000);
  assert.deepEqual(
    messages.map((m) => [m.direction, m.origin, m.status]),
    [
      ["inbound", "lead", "received"],
      ["outbound", "agent", "read"],
    ],
  );
  const sentOnce = await outboxOf(stack, from);
  assert.equal(sentOnce.length, 1, "the reply was not sent again after the restart");
  assert.equal(messages[1]!.text, sentOnce[0]!.text);

  await stack.simPost("/_sim/whatsapp/inbound", { provider: "meta", from, to: sender.number, text: "Do you install in Valencia?" });
  const delivered = await until("the next message's reply", () => outboxOf(stack, from), (o) => o.length === 2 && o[1]!.status === "read", 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await outboxOf(stack, from)).length, 2, "the first reply went once");
  assert.equal((await chatRequests()).length, 2, "one LLM call per turn");
  assert.notEqual(delivered[1]!.text, "");
});

test("a turn that outlasts its lease renews it: the model is asked once and one reply goes", async () => {
  const ws = await stack.newWorkspace("Slow model");
  const sender = await addWhatsAppSender(stack, ws.key, "meta");
  const from = "+34612999002";
  const before = (await chatRequests()).length;
  // The model answers after 7 s, more than twice the 3 s lease.
  await stack.simPost("/_sim/config", { openai: { latency_ms: 7000 } });
  try {
    await stack.simPost("/_sim/whatsapp/inbound", { provider: "meta", from, to: sender.number, text: "Take your time" });
    await until("the reply", () => outboxOf(stack, from), (o) => o.length === 1, 60_000);
  } finally {
    await stack.simPost("/_sim/config", { openai: { latency_ms: 0 } });
  }
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await outboxOf(stack, from)).length, 1, "one reply");
  assert.equal((await chatRequests()).length - before, 1, "one LLM call: no second replica-run of the turn");
});
