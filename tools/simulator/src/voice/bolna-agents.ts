import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { AssistantStore, StoredAssistant } from "./assistants";
import { authorised, isObject, obj, str, type Json } from "./wire";

const UNAUTHORISED = { message: "Unauthorized" };
const NOT_FOUND = { message: "Agent not found" };

/** Bolna keeps an agent as the config and task prompts last sent; without a config or a name there is no agent, so the missing field is named. */
function checked(body: unknown): { agent: Json } | { missing: string } {
  const request = obj(body);
  if (!isObject(request.agent_config)) return { missing: "agent_config" };
  if (!str(request.agent_config.agent_name)) return { missing: "agent_config.agent_name" };
  return { agent: { agent_config: request.agent_config, ...(request.agent_prompts === undefined ? {} : { agent_prompts: request.agent_prompts }) } };
}

/** The webhook URL of a stored agent: Bolna posts each of that agent's executions there, unsigned. */
export function bolnaAgentWebhookUrl(store: AssistantStore, agentId: string): string | undefined {
  return str(obj(store.get("bolna", "agent", agentId)?.body.agent_config).webhook_url) || undefined;
}

function bolnaAgent(stored: StoredAssistant): Json {
  const config = obj(stored.body.agent_config);
  return {
    id: stored.id,
    agent_name: config.agent_name,
    agent_welcome_message: config.agent_welcome_message ?? null,
    webhook_url: config.webhook_url ?? null,
    agent_status: "processed",
    tasks: config.tasks ?? [],
    agent_prompts: stored.body.agent_prompts ?? {},
    created_at: stored.createdAt.toISOString(),
    updated_at: stored.updatedAt.toISOString(),
  };
}

// Bolna: POST /v2/agent, PUT /v2/agent/{id} (a full replacement), GET /v2/agent/{id}.
export function registerBolnaAgentRoutes(app: FastifyInstance, store: AssistantStore): void {
  const save = (id: string, agent: Json) => store.save({ provider: "bolna", kind: "agent", id, name: str(obj(agent.agent_config).agent_name), body: agent });

  app.post("/bolna/v2/agent", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const input = checked(request.body);
    if ("missing" in input) return reply.code(400).send({ message: `${input.missing} is required` });
    const agentId = randomUUID();
    save(agentId, input.agent);
    return { agent_id: agentId, status: "created" };
  });

  app.put<{ Params: { id: string } }>("/bolna/v2/agent/:id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const input = checked(request.body);
    if ("missing" in input) return reply.code(400).send({ message: `${input.missing} is required` });
    if (!store.get("bolna", "agent", request.params.id)) return reply.code(404).send(NOT_FOUND);
    save(request.params.id, input.agent);
    return { agent_id: request.params.id, status: "updated" };
  });

  app.get<{ Params: { id: string } }>("/bolna/v2/agent/:id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const stored = store.get("bolna", "agent", request.params.id);
    return stored ? bolnaAgent(stored) : reply.code(404).send(NOT_FOUND);
  });
}
