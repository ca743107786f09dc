// The assistants directory through the public API, against the provider simulator.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { assertProblem, startTestStack, type TestStack } from "./test-stack";

let stack: TestStack;
before(async () => {
  stack = await startTestStack();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the simulated provider holds (any bearer key is accepted, as in the sandbox). */
async function atProvider(path: string): Promise<Json> {
  const res = await fetch(`${stack.simUrl}${path}`, { headers: { authorization: "Bearer sandbox" } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return (await res.json()) as Json;
}

async function simAssistants(provider: string): Promise<Json[]> {
  return ((await (await fetch(`${stack.simUrl}/_sim/assistants?provider=${provider}`)).json()) as { data: Json[] }).data;
}

test("templates are listed; an assistant created from one lives on the provider with Parley's tools and webhook, and calls use it", async () => {
  const { id: ws, key } = await stack.allDayWorkspace({ max_concurrency: 5 });
  const templates = await stack.call("GET", "/v1/assistants/templates", { token: key });
  assert.equal(templates.status, 200);
  assert.deepEqual(templates.body.data.map((t: Json) => t.id).sort(), ["discovery", "short_pitch", "voicemail_friendly"]);

  const created = await stack.call("POST", "/v1/assistants", { token: key, body: { template: "discovery", config: { max_duration_seconds: 300 } } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const a = created.body;
  assert.match(a.id, /^asst_/);
  assert.equal(created.headers.get("location"), `/v1/assistants/${a.id}`);
  assert.deepEqual([a.provider, a.source, a.template, a.version, a.default, a.name], ["vapi", "template", "discovery", 1, true, "Discovery call"]);
  assert.equal(a.config.max_duration_seconds, 300);
  assert.match(a.config.system_prompt, /discovery call/);

  const remote = await atProvider(`/vapi/assistant/${a.provider_assistant_id}`);
  assert.equal(remote.name, "Discovery call");
  assert.equal(remote.maxDurationSeconds, 300);
  assert.deepEqual(remote.model.tools.map((t: Json) => t.function.name).sort(), ["book_appointment", "check_availability", "opt_out", "record_qualification"]);
  assert.equal(remote.server.url, `${new URL(stack.base).origin}/webhooks/vapi?workspace=${ws}`);
  assert.ok(remote.server.secret, "Vapi signs the assistant's messages with the workspace's secret");

  // An edit updates the provider and records version 2; version 1 stays readable.
  const edited = await stack.call("PATCH", `/v1/assistants/${a.id}`, { token: key, body: { config: { first_message: "Hello {{name}}!", max_duration_seconds: null } } });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.equal(edited.body.version, 2);
  assert.deepEqual(edited.body.versions.map((v: Json) => v.version), [1, 2]);
  assert.equal(edited.body.config.max_duration_seconds, undefined);
  assert.equal((await atProvider(`/vapi/assistant/${a.provider_assistant_id}`)).firstMessage, "Hello {{name}}!");
  const v1 = await stack.call("GET", `/v1/assistants/${a.id}?version=1`, { token: key });
  assert.equal(v1.body.version, 1);
  assert.equal(v1.body.config.first_message, a.config.first_message);
  assertProblem(await stack.call("GET", `/v1/assistants/${a.id}?version=9`, { token: key }), 404);
  const renamedOnly = await stack.call("PATCH", `/v1/assistants/${a.id}`, { token: key, body: { default: true } });
  assert.equal(renamedOnly.body.version, 2, "changing the default is not a new version");

  // A call naming no assistant dials the default one, and records which version it used.
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [3000, 3000] });
  const leadId = await stack.callableLead(key, "+14155550311");
  const placed = await stack.call("POST", "/v1/calls", { token: key, body: { lead_id: leadId } });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body.assistant_id, a.id);
  const atSim = (await (await fetch(`${stack.simUrl}/_sim/calls?to=%2B14155550311`)).json()) as { data: Json[] };
  assert.equal(atSim.data[0]?.assistant, a.provider_assistant_id);
  assert.equal(atSim.data[0]?.variables.business, "Dialer", "the workspace profile reaches the prompt's variables");
  const db = await import("pg").then((pg) => new pg.default.Client({ connectionString: stack.voiceDbUrl }));
  await db.connect();
  try {
    const { rows } = await db.query("select assistant_version, provider_assistant_id from calls where id = $1", [placed.body.id]);
    assert.deepEqual(rows[0], { assistant_version: 2, provider_assistant_id: a.provider_assistant_id });
  } finally {
    await db.end();
  }

  // Not archived while a live call uses it; archived once the call has ended.
  assertProblem(await stack.call("DELETE", `/v1/assistants/${a.id}`, { token: key }), 409);
  await stack.untilEnded(key, placed.body.id);
  assert.equal((await stack.call("DELETE", `/v1/assistants/${a.id}`, { token: key })).status, 204);
  assert.deepEqual((await stack.call("GET", "/v1/assistants", { token: key })).body.data, []);
  const archived = await stack.call("GET", "/v1/assistants?include_archived=true", { token: key });
  assert.ok(archived.body.data[0].archived_at);
  assert.equal(archived.body.data[0].default, false);
  assertProblem(await stack.call("PATCH", `/v1/assistants/${a.id}`, { token: key, body: { name: "Back" } }), 409);
  assertProblem(await stack.call("POST", "/v1/calls", { token: key, body: { lead_id: leadId, assistant_id: a.id } }), 400);
  assert.ok(await atProvider(`/vapi/assistant/${a.provider_assistant_id}`), "archiving never deletes the provider's assistant");
});

test("import: an existing provider assistant by id; unknown is 400, twice is 409, import with a config is 400", async () => {
  const { key } = await stack.newWorkspace();
  const res = await fetch(`${stack.simUrl}/vapi/assistant`, {
    method: "POST",
    headers: { authorization: "Bearer sandbox", "content-type": "application/json" },
    body: JSON.stringify({ name: "Legacy closer", firstMessage: "Hi there", model: { provider: "openai", model: "gpt-4o", messages: [{ role: "system", content: "Close the deal." }] } }),
  });
  const existing = (await res.json()) as Json;
  const imported = await stack.call("POST", "/v1/assistants", { token: key, body: { provider: "vapi", provider_assistant_id: existing.id } });
  assert.equal(imported.status, 201, JSON.stringify(imported.body));
  assert.deepEqual([imported.body.source, imported.body.name, imported.body.provider_assistant_id], ["imported", "Legacy closer", existing.id]);
  assert.deepEqual(imported.body.config, { first_message: "Hi there", system_prompt: "Close the deal." });
  assert.equal((await atProvider(`/vapi/assistant/${existing.id}`)).server, undefined, "importing changes nothing on the provider");

  const again = await stack.call("POST", "/v1/assistants", { token: key, body: { provider: "vapi", provider_assistant_id: existing.id } });
  assertProblem(again, 409);
  const unknown = await stack.call("POST", "/v1/assistants", { token: key, body: { provider: "vapi", provider_assistant_id: "no-such-assistant" } });
  assertProblem(unknown, 400);
  assert.equal(unknown.body.errors[0].path, "provider_assistant_id");
  assertProblem(await stack.call("POST", "/v1/assistants", { token: key, body: { provider_assistant_id: existing.id, template: "discovery" } }), 400);
});

test("bad input names the field: config, template, name; a missing assistant is 404; writes need admin", async () => {
  const { key } = await stack.newWorkspace();
  const bad = await stack.call("POST", "/v1/assistants", { token: key, body: { name: "X", config: { first_message: "", language: "english", extra: 1 } } });
  assertProblem(bad, 400);
  const noConfig = await stack.call("POST", "/v1/assistants", { token: key, body: { name: "X" } });
  assertProblem(noConfig, 400);
  assert.equal(noConfig.body.errors[0].path, "config");
  const partial = await stack.call("POST", "/v1/assistants", { token: key, body: { name: "X", config: { first_message: "Hi" } } });
  assertProblem(partial, 400);
  assert.equal(partial.body.errors[0].path, "config.system_prompt");
  const template = await stack.call("POST", "/v1/assistants", { token: key, body: { template: "hard_sell" } });
  assertProblem(template, 400);
  assert.equal(template.body.errors[0].path, "template");
  assertProblem(await stack.call("GET", "/v1/assistants/asst_missing", { token: key }), 404);
  assertProblem(await stack.call("PATCH", "/v1/assistants/asst_missing", { token: key, body: {} }), 400);
  const reader = await stack.call("POST", "/v1/api-keys", { token: key, body: { name: "r", scopes: ["calls:read"] } });
  assertProblem(await stack.call("POST", "/v1/assistants", { token: reader.body.secret, body: { template: "discovery" } }), 403);
  assert.equal((await stack.call("GET", "/v1/assistants", { token: reader.body.secret })).status, 200);
});

test("Retell and Bolna: each gets the assistant in its own shape; Retell's functions are answered, signed", async () => {
  const { id: ws, key } = await stack.allDayWorkspace();
  const retell = await stack.call("POST", "/v1/assistants", { token: key, body: { provider: "retell", template: "short_pitch", name: "Pitch" } });
  assert.equal(retell.status, 201, JSON.stringify(retell.body));
  const agent = await atProvider(`/retell/get-agent/${retell.body.provider_assistant_id}`);
  assert.equal(agent.webhook_url, `${new URL(stack.base).origin}/webhooks/retell?workspace=${ws}`);
  const llm = await atProvider(`/retell/get-retell-llm/${agent.response_engine.llm_id}`);
  assert.match(llm.begin_message, /\{\{name\}\}/);
  const functions = llm.general_tools.filter((t: Json) => t.type === "custom");
  assert.deepEqual(functions.map((t: Json) => t.name).sort(), ["book_appointment", "check_availability", "opt_out", "record_qualification"]);
  const functionUrl = functions[0].url as string;
  assert.equal(functionUrl, `${new URL(stack.base).origin}/webhooks/retell/functions?workspace=${ws}`);

  const edited = await stack.call("PATCH", `/v1/assistants/${retell.body.id}`, { token: key, body: { config: { system_prompt: "Be brief." } } });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  assert.equal((await atProvider(`/retell/get-retell-llm/${agent.response_engine.llm_id}`)).general_prompt, "Be brief.");

  // A function call during a Retell call, signed with the account's key like its webhooks.
  stack.sim.state.configure({ ring_ms: 20, call_duration_ms: [2000, 2000] });
  const leadId = await stack.callableLead(key, "+14155550312");
  const placed = await stack.call("POST", "/v1/calls", { token: key, body: { lead_id: leadId, assistant_id: retell.body.id } });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body.provider, "retell");
  const body = JSON.stringify({ name: "check_availability", args: { count: 2 }, call: { call_id: placed.body.provider_call_id, metadata: { parley_call_id: placed.body.id } } });
  const v = String(Date.now());
  const signature = (secret: string) => `v=${v},d=${createHmac("sha256", secret).update(body).update(v).digest("hex")}`;
  const post = (sig: string) => fetch(functionUrl.replace(new URL(functionUrl).origin, stack.base), { method: "POST", headers: { "content-type": "application/json", "x-retell-signature": sig }, body });
  const answered = await post(signature("sandbox"));
  assert.equal(answered.status, 200);
  const result = (await answered.json()) as Json;
  assert.equal(result.slots.length, 2, JSON.stringify(result));
  assert.equal((await post(signature("forged"))).status, 401);

  const bolna = await stack.call("POST", "/v1/assistants", { token: key, body: { provider: "bolna", template: "voicemail_friendly" } });
  assert.equal(bolna.status, 201, JSON.stringify(bolna.body));
  assert.equal(bolna.body.default, false, "the first assistant stays the default");
  const remote = await atProvider(`/bolna/v2/agent/${bolna.body.provider_assistant_id}`);
  assert.equal(remote.agent_welcome_message, "Hi {name}, this is {persona} from {business}.", "Bolna's single-brace variables");
  assert.match(remote.webhook_url, new RegExp(`/webhooks/bolna\\?workspace=${ws}`));
  assert.equal((await simAssistants("bolna")).filter((x) => x.id === bolna.body.provider_assistant_id).length, 1);
});
