import { test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { buildSimulator } from "../app";
import type { SimState } from "../state";

const auth = { authorization: "Bearer sk_test" };
const NUMBER_THAT_ANSWERS = "+14155550123";

async function withSimulator(run: (app: FastifyInstance, state: SimState) => Promise<void>): Promise<void> {
  const { app, state } = await buildSimulator({ parleyUrl: "http://127.0.0.1:9" });
  try {
    await run(app, state);
  } finally {
    await app.close();
  }
}

/** Polls until the call reports itself ended; bounded so a call that never ends fails the test instead of hanging. */
async function untilEnded(app: FastifyInstance, url: string, isEnded: (call: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const call = (await app.inject({ url, headers: auth })).json<Record<string, unknown>>();
    if (isEnded(call)) return call;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${url} never ended`);
}

const fastCalls = (app: FastifyInstance) => app.inject({ method: "POST", url: "/_sim/config", payload: { ring_ms: 10, call_duration_ms: [20, 30], webhook_delay_ms: [0, 0] } });

test("vapi assistants: create, read, update; long names, bad bodies, unknown ids and missing keys are refused", async () => {
  await withSimulator(async (app) => {
    const assistant = {
      name: "Sam (outbound)",
      firstMessage: "Hi, this is Sam.",
      model: { provider: "openai", model: "gpt-4o", messages: [{ role: "system", content: "Be brief." }] },
      voice: { provider: "11labs", voiceId: "sarah" },
      server: { url: "https://example.test/vapi", secret: "s3cret" },
      metadata: { campaign: "c1" },
    };
    const created = await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: assistant });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.orgId, "org_simulator");
    assert.equal(typeof body.createdAt, "string");
    assert.equal(body.createdAt, body.updatedAt);
    assert.deepEqual({ ...body, id: undefined, orgId: undefined, createdAt: undefined, updatedAt: undefined }, { ...assistant, id: undefined, orgId: undefined, createdAt: undefined, updatedAt: undefined });

    const read = await app.inject({ url: `/vapi/assistant/${body.id}`, headers: auth });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), body);

    const patched = await app.inject({ method: "PATCH", url: `/vapi/assistant/${body.id}`, headers: auth, payload: { firstMessage: "Hello again.", id: "hijacked" } });
    assert.equal(patched.statusCode, 200);
    assert.equal(patched.json().firstMessage, "Hello again.");
    assert.equal(patched.json().id, body.id);
    const reread = (await app.inject({ url: `/vapi/assistant/${body.id}`, headers: auth })).json();
    assert.equal(reread.firstMessage, "Hello again.");
    assert.deepEqual(reread.voice, assistant.voice);
    assert.equal(reread.createdAt, body.createdAt);

    const tooLong = { message: ["name must be shorter than or equal to 40 characters"], error: "Bad Request", statusCode: 400 };
    const longName = "x".repeat(41);
    const refusedCreate = await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: { name: longName } });
    assert.equal(refusedCreate.statusCode, 400);
    assert.deepEqual(refusedCreate.json(), tooLong);
    const refusedPatch = await app.inject({ method: "PATCH", url: `/vapi/assistant/${body.id}`, headers: auth, payload: { name: longName } });
    assert.equal(refusedPatch.statusCode, 400);
    assert.deepEqual(refusedPatch.json(), tooLong);
    assert.equal((await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: { name: "x".repeat(40) } })).statusCode, 201);
    const notAnObject = await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: [assistant] });
    assert.equal(notAnObject.statusCode, 400);
    assert.equal(notAnObject.json().error, "Bad Request");

    const missing = { message: "Couldn't Find Assistant", error: "Not Found", statusCode: 404 };
    const unknownRead = await app.inject({ url: "/vapi/assistant/nope", headers: auth });
    assert.equal(unknownRead.statusCode, 404);
    assert.deepEqual(unknownRead.json(), missing);
    const unknownPatch = await app.inject({ method: "PATCH", url: "/vapi/assistant/nope", headers: auth, payload: { name: "x" } });
    assert.equal(unknownPatch.statusCode, 404);
    assert.deepEqual(unknownPatch.json(), missing);

    const anonymous = await app.inject({ method: "POST", url: "/vapi/assistant", payload: assistant });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().statusCode, 401);
    assert.equal((await app.inject({ url: `/vapi/assistant/${body.id}` })).statusCode, 401);
  });
});

test("bolna agents: create, read, replace; a missing agent_config or agent_name is named, unknown ids and missing keys are refused", async () => {
  await withSimulator(async (app) => {
    const agent = {
      agent_config: { agent_name: "Sam", agent_welcome_message: "Hi!", webhook_url: "https://example.test/bolna", tasks: [{ task_type: "conversation" }] },
      agent_prompts: { task_1: { system_prompt: "Be brief." } },
    };
    const created = await app.inject({ method: "POST", url: "/bolna/v2/agent", headers: auth, payload: agent });
    assert.equal(created.statusCode, 200);
    const { agent_id: agentId, status } = created.json();
    assert.equal(status, "created");
    assert.match(agentId, /^[0-9a-f-]{36}$/);

    const read = await app.inject({ url: `/bolna/v2/agent/${agentId}`, headers: auth });
    assert.equal(read.statusCode, 200);
    const shown = read.json();
    assert.deepEqual(
      { ...shown, created_at: undefined, updated_at: undefined },
      { id: agentId, agent_name: "Sam", agent_welcome_message: "Hi!", webhook_url: "https://example.test/bolna", agent_status: "processed", tasks: agent.agent_config.tasks, agent_prompts: agent.agent_prompts, created_at: undefined, updated_at: undefined },
    );
    assert.equal(new Date(shown.created_at).toISOString(), shown.created_at);

    const replaced = await app.inject({ method: "PUT", url: `/bolna/v2/agent/${agentId}`, headers: auth, payload: { agent_config: { agent_name: "Sam v2" } } });
    assert.equal(replaced.statusCode, 200);
    assert.deepEqual(replaced.json(), { agent_id: agentId, status: "updated" });
    const reread = (await app.inject({ url: `/bolna/v2/agent/${agentId}`, headers: auth })).json();
    assert.equal(reread.agent_name, "Sam v2");
    // PUT replaces the whole agent: what the new body leaves out is gone.
    assert.equal(reread.agent_welcome_message, null);
    assert.deepEqual(reread.agent_prompts, {});
    assert.equal(reread.created_at, shown.created_at);

    for (const [payload, message] of [
      [{ agent_prompts: agent.agent_prompts }, "agent_config is required"],
      [{ agent_config: { agent_welcome_message: "Hi!" } }, "agent_config.agent_name is required"],
    ] as const) {
      const onCreate = await app.inject({ method: "POST", url: "/bolna/v2/agent", headers: auth, payload });
      assert.equal(onCreate.statusCode, 400);
      assert.deepEqual(onCreate.json(), { message });
      const onReplace = await app.inject({ method: "PUT", url: `/bolna/v2/agent/${agentId}`, headers: auth, payload });
      assert.equal(onReplace.statusCode, 400);
      assert.deepEqual(onReplace.json(), { message });
    }

    for (const request of [{ method: "GET", url: "/bolna/v2/agent/nope" }, { method: "PUT", url: "/bolna/v2/agent/nope", payload: agent }] as const) {
      const unknown = await app.inject({ ...request, headers: auth });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), { message: "Agent not found" });
    }

    const anonymous = await app.inject({ method: "POST", url: "/bolna/v2/agent", payload: agent });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(anonymous.json(), { message: "Unauthorized" });
  });
});

test("retell LLMs: create, read, update keeps the version; unknown ids and missing keys are refused", async () => {
  await withSimulator(async (app) => {
    const created = await app.inject({ method: "POST", url: "/retell/create-retell-llm", headers: auth, payload: { general_prompt: "Be brief.", begin_message: "Hi!" } });
    assert.equal(created.statusCode, 201);
    const llm = created.json();
    assert.match(llm.llm_id, /^llm_[0-9a-f]{32}$/);
    assert.equal(llm.version, 0);
    assert.equal(llm.is_published, false);
    assert.equal(llm.model, "gpt-4.1");
    assert.equal(llm.general_prompt, "Be brief.");
    assert.equal(typeof llm.last_modification_timestamp, "number");
    const chosenModel = await app.inject({ method: "POST", url: "/retell/create-retell-llm", headers: auth, payload: { model: "gpt-4o-mini" } });
    assert.equal(chosenModel.json().model, "gpt-4o-mini");

    assert.deepEqual((await app.inject({ url: `/retell/get-retell-llm/${llm.llm_id}`, headers: auth })).json(), llm);
    const updated = await app.inject({ method: "PATCH", url: `/retell/update-retell-llm/${llm.llm_id}`, headers: auth, payload: { general_prompt: "Be briefer.", version: 7 } });
    assert.equal(updated.statusCode, 200);
    const reread = (await app.inject({ url: `/retell/get-retell-llm/${llm.llm_id}`, headers: auth })).json();
    assert.equal(reread.general_prompt, "Be briefer.");
    assert.equal(reread.begin_message, "Hi!");
    assert.equal(reread.version, 0);

    for (const request of [{ method: "GET", url: "/retell/get-retell-llm/llm_nope" }, { method: "PATCH", url: "/retell/update-retell-llm/llm_nope", payload: {} }] as const) {
      const unknown = await app.inject({ ...request, headers: auth });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), { error_message: "LLM not found" });
    }
    const anonymous = await app.inject({ method: "POST", url: "/retell/create-retell-llm", payload: {} });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(anonymous.json(), { error_message: "Unauthorized" });
  });
});

test("retell agents: create, read, update; a missing voice or response engine and an unknown LLM are refused", async () => {
  await withSimulator(async (app) => {
    const { llm_id: llmId } = (await app.inject({ method: "POST", url: "/retell/create-retell-llm", headers: auth, payload: {} })).json();
    const agent = { response_engine: { type: "retell-llm", llm_id: llmId }, voice_id: "11labs-Adrian", agent_name: "Sam", language: "en-US", max_call_duration_ms: 600_000 };
    const created = await app.inject({ method: "POST", url: "/retell/create-agent", headers: auth, payload: agent });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.match(body.agent_id, /^agent_[0-9a-f]{32}$/);
    assert.equal(body.version, 0);
    assert.equal(body.is_published, false);
    assert.deepEqual(body.response_engine, agent.response_engine);
    assert.equal(body.voice_id, agent.voice_id);

    assert.deepEqual((await app.inject({ url: `/retell/get-agent/${body.agent_id}`, headers: auth })).json(), body);
    const updated = await app.inject({ method: "PATCH", url: `/retell/update-agent/${body.agent_id}`, headers: auth, payload: { agent_name: "Sam v2", end_call_after_silence_ms: 20_000 } });
    assert.equal(updated.statusCode, 200);
    const reread = (await app.inject({ url: `/retell/get-agent/${body.agent_id}`, headers: auth })).json();
    assert.equal(reread.agent_name, "Sam v2");
    assert.equal(reread.end_call_after_silence_ms, 20_000);
    assert.equal(reread.voice_id, agent.voice_id);

    const { voice_id: _voice, ...withoutVoice } = agent;
    const { response_engine: _engine, ...withoutEngine } = agent;
    for (const [payload, message] of [
      [withoutVoice, "voice_id is required"],
      [withoutEngine, "response_engine is required"],
      [{ ...agent, response_engine: { type: "retell-llm", llm_id: "llm_nope" } }, "llm_id llm_nope not found"],
    ] as const) {
      const refused = await app.inject({ method: "POST", url: "/retell/create-agent", headers: auth, payload });
      assert.equal(refused.statusCode, 400);
      assert.deepEqual(refused.json(), { error_message: message });
    }
    const badUpdate = await app.inject({ method: "PATCH", url: `/retell/update-agent/${body.agent_id}`, headers: auth, payload: { response_engine: { type: "retell-llm", llm_id: "llm_nope" } } });
    assert.equal(badUpdate.statusCode, 400);
    assert.deepEqual(badUpdate.json(), { error_message: "llm_id llm_nope not found" });
    assert.deepEqual((await app.inject({ url: `/retell/get-agent/${body.agent_id}`, headers: auth })).json().response_engine, agent.response_engine);

    for (const request of [{ method: "GET", url: "/retell/get-agent/agent_nope" }, { method: "PATCH", url: "/retell/update-agent/agent_nope", payload: { agent_name: "x" } }] as const) {
      const unknown = await app.inject({ ...request, headers: auth });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), { error_message: "Agent not found" });
    }
    assert.equal((await app.inject({ method: "POST", url: "/retell/create-agent", payload: agent })).statusCode, 401);
  });
});

test("deleting a vapi or retell call keeps the call but drops its recording; unknown calls are 404", async () => {
  await withSimulator(async (app) => {
    assert.equal((await fastCalls(app)).statusCode, 200);

    const vapi = await app.inject({ method: "POST", url: "/vapi/call", headers: auth, payload: { assistantId: "a1", phoneNumberId: "pn1", customer: { number: NUMBER_THAT_ANSWERS } } });
    assert.equal(vapi.statusCode, 201);
    const vapiId = vapi.json().id;
    const ended = await untilEnded(app, `/vapi/call/${vapiId}`, (call) => call.status === "ended");
    assert.equal(typeof (ended.artifact as { recordingUrl?: string }).recordingUrl, "string");
    assert.equal((await app.inject({ method: "DELETE", url: `/vapi/call/${vapiId}` })).statusCode, 401);
    const deleted = await app.inject({ method: "DELETE", url: `/vapi/call/${vapiId}`, headers: auth });
    assert.equal(deleted.statusCode, 200);
    assert.equal(deleted.json().id, vapiId);
    const afterDelete = (await app.inject({ url: `/vapi/call/${vapiId}`, headers: auth })).json();
    assert.equal(afterDelete.status, "ended");
    assert.equal("recordingUrl" in afterDelete.artifact, false);
    const unknownVapi = await app.inject({ method: "DELETE", url: "/vapi/call/nope", headers: auth });
    assert.equal(unknownVapi.statusCode, 404);
    assert.equal(unknownVapi.json().statusCode, 404);

    const retell = await app.inject({ method: "POST", url: "/retell/v2/create-phone-call", headers: auth, payload: { from_number: "+14155550100", to_number: NUMBER_THAT_ANSWERS } });
    assert.equal(retell.statusCode, 201);
    const retellId = retell.json().call_id;
    const retellEnded = await untilEnded(app, `/retell/v2/get-call/${retellId}`, (call) => call.call_status === "ended");
    assert.equal(typeof retellEnded.recording_url, "string");
    const retellDeleted = await app.inject({ method: "DELETE", url: `/retell/v2/delete-call/${retellId}`, headers: auth });
    assert.equal(retellDeleted.statusCode, 204);
    assert.equal(retellDeleted.body, "");
    const retellAfter = (await app.inject({ url: `/retell/v2/get-call/${retellId}`, headers: auth })).json();
    assert.equal(retellAfter.call_status, "ended");
    assert.equal(retellAfter.recording_url, null);
    const unknownRetell = await app.inject({ method: "DELETE", url: "/retell/v2/delete-call/nope", headers: auth });
    assert.equal(unknownRetell.statusCode, 404);
    assert.deepEqual(unknownRetell.json(), { error_message: "call not found" });
  });
});

test("a vapi call with only a stored assistant's id sends its webhooks to that assistant's server", async () => {
  await withSimulator(async (app, state) => {
    const server = { url: "http://127.0.0.1:9/assistant-hooks", secret: "assistant-secret" };
    const assistantId = (await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: { name: "Sam", server } })).json().id;
    const dial = (payload: Record<string, unknown>) =>
      app.inject({ method: "POST", url: "/vapi/call", headers: auth, payload: { phoneNumberId: "pn1", customer: { number: NUMBER_THAT_ANSWERS }, ...payload } });

    const viaAssistant = await dial({ assistantId });
    assert.equal(viaAssistant.statusCode, 201);
    assert.deepEqual(state.voice.calls.get(viaAssistant.json().id)?.webhook, server);

    const override = { url: "http://127.0.0.1:9/override-hooks", secret: "override-secret" };
    const viaOverride = await dial({ assistantId, assistantOverrides: { server: override } });
    assert.deepEqual(state.voice.calls.get(viaOverride.json().id)?.webhook, override);

    const unknownAssistant = await dial({ assistantId: "not-stored" });
    assert.equal(unknownAssistant.statusCode, 201);
    assert.equal(state.voice.calls.get(unknownAssistant.json().id)?.webhook, undefined);
  });
});

test("a retell call overriding the agent with a stored agent that has a webhook_url sends its webhooks there", async () => {
  await withSimulator(async (app, state) => {
    const { llm_id: llmId } = (await app.inject({ method: "POST", url: "/retell/create-retell-llm", headers: auth, payload: {} })).json();
    const webhookUrl = "http://127.0.0.1:9/agent-hooks";
    const agentId = (await app.inject({ method: "POST", url: "/retell/create-agent", headers: auth, payload: { response_engine: { type: "retell-llm", llm_id: llmId }, voice_id: "11labs-Adrian", webhook_url: webhookUrl } })).json().agent_id;
    const dial = (payload: Record<string, unknown>) =>
      app.inject({ method: "POST", url: "/retell/v2/create-phone-call", headers: auth, payload: { from_number: "+14155550100", to_number: NUMBER_THAT_ANSWERS, ...payload } });

    const viaAgent = await dial({ override_agent_id: agentId });
    assert.equal(viaAgent.statusCode, 201);
    assert.deepEqual(state.voice.calls.get(viaAgent.json().call_id)?.webhook, { url: webhookUrl, secret: "sk_test" });

    const viaAccount = await dial({});
    assert.deepEqual(state.voice.calls.get(viaAccount.json().call_id)?.webhook, { url: "http://127.0.0.1:9/webhooks/retell", secret: "sk_test" });
  });
});

test("/_sim/assistants lists what each provider stores, by provider, and reset empties it", async () => {
  await withSimulator(async (app) => {
    const vapi = (await app.inject({ method: "POST", url: "/vapi/assistant", headers: auth, payload: { name: "Vapi Sam" } })).json();
    const bolnaId = (await app.inject({ method: "POST", url: "/bolna/v2/agent", headers: auth, payload: { agent_config: { agent_name: "Bolna Sam" } } })).json().agent_id;
    const llm = (await app.inject({ method: "POST", url: "/retell/create-retell-llm", headers: auth, payload: {} })).json();
    const agent = (await app.inject({ method: "POST", url: "/retell/create-agent", headers: auth, payload: { response_engine: { type: "retell-llm", llm_id: llm.llm_id }, voice_id: "v", agent_name: "Retell Sam" } })).json();

    const all = await app.inject({ url: "/_sim/assistants" });
    assert.equal(all.statusCode, 200);
    assert.equal(all.json().data.length, 4);
    assert.deepEqual((await app.inject({ url: "/_sim/assistants?provider=vapi" })).json().data, [{ provider: "vapi", id: vapi.id, kind: "assistant", name: "Vapi Sam", body: vapi }]);
    assert.deepEqual((await app.inject({ url: "/_sim/assistants?provider=bolna" })).json().data, [
      { provider: "bolna", id: bolnaId, kind: "agent", name: "Bolna Sam", body: { agent_config: { agent_name: "Bolna Sam" } } },
    ]);
    assert.deepEqual((await app.inject({ url: "/_sim/assistants?provider=retell" })).json().data, [
      { provider: "retell", id: llm.llm_id, kind: "llm", name: null, body: llm },
      { provider: "retell", id: agent.agent_id, kind: "agent", name: "Retell Sam", body: agent },
    ]);
    assert.equal((await app.inject({ url: "/_sim/assistants?provider=twilio" })).statusCode, 400);

    await app.inject({ method: "POST", url: "/_sim/reset" });
    assert.deepEqual((await app.inject({ url: "/_sim/assistants" })).json(), { data: [] });
    assert.equal((await app.inject({ url: `/vapi/assistant/${vapi.id}`, headers: auth })).statusCode, 404);
  });
});
