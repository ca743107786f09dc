// Each adapter against the simulator, which speaks the providers' wire formats.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { CapacityError, DependencyUnavailableError, PreconditionError, UpstreamError } from "@parley/errors";
import { freePort } from "@parley/testing/support";
import { buildSimulator } from "@parley/tool-simulator/app";
import { bolnaEndedReason } from "./bolna";
import { createVoiceProvider, type VoiceIntegration } from "./factory";
import type { AssistantSpec, ProviderCall, VoiceProvider } from "./port";
import { retellEndedReason } from "./retell";
import { vapiEndedReason } from "./vapi";

let sim: Awaited<ReturnType<typeof buildSimulator>>;
let simUrl = "";

before(async () => {
  sim = await buildSimulator({ parleyUrl: "http://127.0.0.1:1" });
  simUrl = await sim.app.listen({ port: 0, host: "127.0.0.1" });
});
after(() => sim.app.close());

const integrations: VoiceIntegration[] = [
  { kind: "vapi", credentials: { apiKey: "sk-vapi", phoneNumberId: "pn_1" } },
  { kind: "bolna", credentials: { apiKey: "bn-key", fromNumber: "+14155550000" } },
  { kind: "retell", credentials: { apiKey: "key_retell", fromNumber: "+14155550000" } },
];

function provider(integration: VoiceIntegration, fetchImpl?: typeof fetch): VoiceProvider {
  const baseUrls = { vapi: `${simUrl}/vapi`, bolna: `${simUrl}/bolna`, retell: `${simUrl}/retell` };
  return createVoiceProvider(integration, { baseUrls, timeoutMs: 2000, fetch: fetchImpl });
}

async function untilEnded(p: VoiceProvider, id: string): Promise<ProviderCall> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const call = await p.getCall(id);
    if (call.status === "ended") return call;
    if (Date.now() > deadline) throw new Error(`call ${id} still ${call.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function fast() {
  sim.state.reset();
  sim.state.configure({ ring_ms: 20, call_duration_ms: [40, 60] });
}

for (const integration of integrations) {
  test(`${integration.kind}: a dialled call is read back through its life to a final state with transcript, recording, duration and cost`, async () => {
    await fast();
    const p = provider(integration);
    const { providerCallId } = await p.dial({ to: "+14155550199", assistantId: "asst_1", variables: { name: "Ada" }, metadata: { parley_call_id: "call_1" } });
    const first = await p.getCall(providerCallId);
    assert.notEqual(first.status, "ended");
    const call = await untilEnded(p, providerCallId);
    assert.equal(call.endedReason, "completed");
    assert.match(call.transcript ?? "", /Ada/);
    assert.ok(call.recordingUrl);
    assert.ok((call.durationSeconds ?? -1) >= 0);
    assert.ok((call.cost ?? 0) > 0);
    const placed = (await (await fetch(`${simUrl}/_sim/calls?to=%2B14155550199`)).json()) as { data: { provider: string; assistant: string; variables: Record<string, string> }[] };
    assert.equal(placed.data.length, 1);
    assert.equal(placed.data[0]?.provider, integration.kind);
    assert.equal(placed.data[0]?.assistant, "asst_1");
    assert.equal(placed.data[0]?.variables.name, "Ada");
  });

  test(`${integration.kind}: no answer, busy and voicemail map to Parley's vocabulary`, async () => {
    await fast();
    const p = provider(integration);
    for (const [suffix, reason] of [["0101", "no_answer"], ["0102", "busy"], ["0103", "voicemail"]] as const) {
      const { providerCallId } = await p.dial({ to: `+1415555${suffix}`, assistantId: "asst_1", variables: {}, metadata: {} });
      assert.equal((await untilEnded(p, providerCallId)).endedReason, reason, suffix);
    }
  });

  test(`${integration.kind}: a dial is sent once: a 5xx is an UpstreamError with the provider's message, a bad number a 4xx`, async () => {
    await fast();
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests += 1;
      return fetch(input, init);
    };
    const p = provider(integration, counting);
    await assert.rejects(p.dial({ to: "+14155550104", assistantId: "a", variables: {}, metadata: {} }), (err: unknown) => {
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.details.provider_message, "simulated upstream failure");
      assert.equal(err.details.provider_status, 500);
      return true;
    });
    assert.equal(requests, 1, "no retry that could place a second call");
    await assert.rejects(p.dial({ to: "+14155550105", assistantId: "a", variables: {}, metadata: {} }), (err: unknown) => err instanceof UpstreamError && err.details.provider_status === 400);
  });

  test(`${integration.kind}: above the account's concurrency limit a dial is a CapacityError, and capacity returns when a call ends`, async () => {
    await fast();
    sim.state.configure({ concurrency_limit: { [integration.kind]: 1 } });
    const p = provider(integration);
    const { providerCallId } = await p.dial({ to: "+14155550150", assistantId: "a", variables: {}, metadata: {} });
    await assert.rejects(p.dial({ to: "+14155550151", assistantId: "a", variables: {}, metadata: {} }), CapacityError);
    await untilEnded(p, providerCallId);
    await p.dial({ to: "+14155550152", assistantId: "a", variables: {}, metadata: {} });
    const stats = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as Record<string, { max_concurrent: number; rejected_429: number }>;
    assert.equal(stats[integration.kind]?.max_concurrent, 1);
    assert.equal(stats[integration.kind]?.rejected_429, 1);
  });
}

test("reads are retried through 5xx with back-off; an unreachable provider is DependencyUnavailable after bounded attempts", async () => {
  await fast();
  const vapi = integrations[0]!;
  const p = provider(vapi);
  const { providerCallId } = await p.dial({ to: "+14155550160", assistantId: "a", variables: {}, metadata: {} });
  let failures = 2;
  const flaky = provider(vapi, (input, init) => (failures-- > 0 ? Promise.resolve(new Response("upstream hiccup", { status: 503 })) : fetch(input, init)));
  assert.equal((await flaky.getCall(providerCallId)).providerCallId, providerCallId);

  const closed = await freePort();
  let attempts = 0;
  const down = createVoiceProvider(vapi, {
    baseUrls: { vapi: `http://127.0.0.1:${closed}`, bolna: "", retell: "" },
    timeoutMs: 500,
    fetch: (input, init) => {
      attempts += 1;
      return fetch(input, init);
    },
  });
  // Connection refused: the request never left, so even a dial may be tried again.
  await assert.rejects(down.dial({ to: "+14155550161", assistantId: "a", variables: {}, metadata: {} }), DependencyUnavailableError);
  assert.equal(attempts, 3);
});

test("ended reasons: every provider's vocabulary maps to Parley's", () => {
  assert.equal(vapiEndedReason("pipeline-error-openai-llm-failed"), "failed");
  assert.equal(vapiEndedReason("twilio-failed-to-connect-call"), "failed");
  assert.equal(vapiEndedReason("assistant-said-end-call-phrase"), "completed");
  assert.equal(vapiEndedReason("manually-canceled"), "canceled");
  assert.equal(retellEndedReason("error_llm_websocket_open"), "failed");
  assert.equal(retellEndedReason("dial_failed"), "failed");
  assert.equal(retellEndedReason("agent_hangup"), "completed");
  assert.equal(bolnaEndedReason({ id: "x", status: "completed", conversation_duration: 0 }), "no_answer", "completed with no talk time: nobody answered");
  assert.equal(bolnaEndedReason({ id: "x", status: "completed", conversation_duration: 12 }), "completed");
  assert.equal(bolnaEndedReason({ id: "x", status: "no-answer" }), "no_answer");
});

const spec = (name: string): AssistantSpec => ({
  name,
  firstMessage: "Hi {{name}}",
  systemPrompt: "Qualify {{name}} for {{offer}}.",
  voicemailMessage: "Call us back",
  maxDurationSeconds: 300,
  webhook: { url: "https://parley.example/webhooks/x?workspace=ws_1", secret: "s3cret" },
  tools: [{ name: "opt_out", description: "stop calling", parameters: { type: "object", properties: {} } }],
});

for (const integration of integrations) {
  test(`${integration.kind}: an assistant is created, read back, updated in place, and an unknown one is a 404 UpstreamError`, async () => {
    await fast();
    const p = provider(integration);
    const { providerAssistantId } = await p.createAssistant(spec("Closer"));
    assert.deepEqual(await p.getAssistant(providerAssistantId), {
      providerAssistantId,
      name: "Closer",
      firstMessage: integration.kind === "bolna" ? "Hi {name}" : "Hi {{name}}",
      systemPrompt: integration.kind === "bolna" ? "Qualify {name} for {offer}." : "Qualify {{name}} for {{offer}}.",
    });
    await p.updateAssistant(providerAssistantId, { ...spec("Closer v2"), systemPrompt: "Be brief." });
    const updated = await p.getAssistant(providerAssistantId);
    assert.deepEqual([updated.name, updated.systemPrompt], ["Closer v2", "Be brief."]);
    await assert.rejects(p.getAssistant("missing"), (err) => err instanceof UpstreamError && err.details.provider_status === 404);
  });
}

test("vapi: a refused assistant is an UpstreamError with the provider's message, and the create is not retried", async () => {
  let posts = 0;
  const counting: typeof fetch = (input, init) => {
    if (init?.method === "POST") posts += 1;
    return fetch(input, init);
  };
  const p = provider(integrations[0]!, counting);
  await assert.rejects(p.createAssistant(spec("x".repeat(41))), (err) => err instanceof UpstreamError && /40 characters/.test(String(err.details.provider_message)));
  assert.equal(posts, 1);
});

test("recordings: deleted on Vapi and Retell, refused with a reason on Bolna", async () => {
  await fast();
  for (const integration of integrations) {
    const p = provider(integration);
    const { providerCallId } = await p.dial({ to: "+14155550198", assistantId: "asst_1", variables: {}, metadata: {} });
    assert.ok((await untilEnded(p, providerCallId)).recordingUrl);
    if (integration.kind === "bolna") {
      await assert.rejects(p.deleteRecording(providerCallId), PreconditionError);
      continue;
    }
    await p.deleteRecording(providerCallId);
    assert.equal((await p.getCall(providerCallId)).recordingUrl, undefined, integration.kind);
  }
});
