import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { AssistantStore } from "./assistants";
import { authorised, isObject, obj, str, withoutKeys, type Json } from "./wire";

const UNAUTHORISED = { error_message: "Unauthorized" };
const LLM_NOT_FOUND = { error_message: "LLM not found" };
const AGENT_NOT_FOUND = { error_message: "Agent not found" };
const LLM_OWNED_KEYS = ["llm_id", "version", "is_published", "last_modification_timestamp"] as const;
const AGENT_OWNED_KEYS = ["agent_id", "version", "is_published", "last_modification_timestamp"] as const;
const DEFAULT_LLM_MODEL = "gpt-4.1";

// Retell ids are a type prefix and 32 hex digits, e.g. agent_6f1c…
const retellId = (prefix: "agent" | "llm") => `${prefix}_${randomBytes(16).toString("hex")}`;

/**
 * Why Retell would refuse these agent fields, if it would. A create must carry a voice and a
 * response engine; an update is checked only on the fields it sends.
 */
function agentFieldError(fields: Json, store: AssistantStore, isCreate: boolean): string | undefined {
  if ((isCreate || "voice_id" in fields) && !str(fields.voice_id)) return "voice_id is required";
  if (!isCreate && !("response_engine" in fields)) return undefined;
  const engine = fields.response_engine;
  if (!isObject(engine)) return "response_engine is required";
  if (engine.type !== "retell-llm") return undefined;
  const llmId = str(engine.llm_id);
  if (!llmId) return "response_engine.llm_id is required";
  return store.get("retell", "llm", llmId) ? undefined : `llm_id ${llmId} not found`;
}

/** The webhook URL of a stored agent: Retell posts that agent's call events there instead of the account's URL. */
export function retellAgentWebhookUrl(store: AssistantStore, agentId: string): string | undefined {
  return str(store.get("retell", "agent", agentId)?.body.webhook_url) || undefined;
}

// Retell: the LLM (prompt, tools) and the agent (voice, call settings) that answers with it.
export function registerRetellAgentRoutes(app: FastifyInstance, store: AssistantStore): void {
  const saveLlm = (llm: Json) => store.save({ provider: "retell", kind: "llm", id: str(llm.llm_id), name: null, body: llm });
  const saveAgent = (agent: Json) => store.save({ provider: "retell", kind: "agent", id: str(agent.agent_id), name: str(agent.agent_name) || null, body: agent });

  app.post("/retell/create-retell-llm", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const fields = withoutKeys(obj(request.body), LLM_OWNED_KEYS);
    const llm = { llm_id: retellId("llm"), version: 0, is_published: false, ...fields, model: fields.model ?? DEFAULT_LLM_MODEL, last_modification_timestamp: Date.now() };
    return reply.code(201).send(saveLlm(llm).body);
  });

  app.patch<{ Params: { llm_id: string } }>("/retell/update-retell-llm/:llm_id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const stored = store.get("retell", "llm", request.params.llm_id);
    if (!stored) return reply.code(404).send(LLM_NOT_FOUND);
    return saveLlm({ ...stored.body, ...withoutKeys(obj(request.body), LLM_OWNED_KEYS), last_modification_timestamp: Date.now() }).body;
  });

  app.get<{ Params: { llm_id: string } }>("/retell/get-retell-llm/:llm_id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const stored = store.get("retell", "llm", request.params.llm_id);
    return stored ? stored.body : reply.code(404).send(LLM_NOT_FOUND);
  });

  app.post("/retell/create-agent", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const fields = withoutKeys(obj(request.body), AGENT_OWNED_KEYS);
    const error = agentFieldError(fields, store, true);
    if (error) return reply.code(400).send({ error_message: error });
    const agent = { agent_id: retellId("agent"), version: 0, is_published: false, ...fields, last_modification_timestamp: Date.now() };
    return reply.code(201).send(saveAgent(agent).body);
  });

  app.patch<{ Params: { agent_id: string } }>("/retell/update-agent/:agent_id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const fields = withoutKeys(obj(request.body), AGENT_OWNED_KEYS);
    const error = agentFieldError(fields, store, false);
    if (error) return reply.code(400).send({ error_message: error });
    const stored = store.get("retell", "agent", request.params.agent_id);
    if (!stored) return reply.code(404).send(AGENT_NOT_FOUND);
    return saveAgent({ ...stored.body, ...fields, last_modification_timestamp: Date.now() }).body;
  });

  app.get<{ Params: { agent_id: string } }>("/retell/get-agent/:agent_id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const stored = store.get("retell", "agent", request.params.agent_id);
    return stored ? stored.body : reply.code(404).send(AGENT_NOT_FOUND);
  });
}
