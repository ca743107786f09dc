import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { AssistantStore } from "./assistants";
import { authorised, isObject, str, withoutKeys, type Json } from "./wire";

const UNAUTHORISED = { message: "Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.", error: "Unauthorized", statusCode: 401 };
const NOT_FOUND = { message: "Couldn't Find Assistant", error: "Not Found", statusCode: 404 };
const OWNED_KEYS = ["id", "orgId", "createdAt", "updatedAt"] as const;
const MAX_NAME_LENGTH = 40;

/** Vapi validates with class-validator: every broken rule is one sentence in `message`. */
function checked(body: unknown): { fields: Json } | { errors: string[] } {
  if (!isObject(body)) return { errors: ["assistant must be an object"] };
  if (typeof body.name === "string" && body.name.length > MAX_NAME_LENGTH) return { errors: [`name must be shorter than or equal to ${MAX_NAME_LENGTH} characters`] };
  return { fields: withoutKeys(body, OWNED_KEYS) };
}

function refuseInvalid(reply: FastifyReply, errors: string[]) {
  return reply.code(400).send({ message: errors, error: "Bad Request", statusCode: 400 });
}

/** Where a stored assistant sends its server messages, if it names a server. */
export function vapiAssistantServer(store: AssistantStore, assistantId: string): { url: string; secret?: string } | undefined {
  const server = store.get("vapi", "assistant", assistantId)?.body.server;
  if (!isObject(server) || !str(server.url)) return undefined;
  return { url: str(server.url), secret: str(server.secret) || undefined };
}

// Vapi: POST /assistant, PATCH /assistant/{id}, GET /assistant/{id}.
export function registerVapiAssistantRoutes(app: FastifyInstance, store: AssistantStore): void {
  const save = (assistant: Json) => store.save({ provider: "vapi", kind: "assistant", id: str(assistant.id), name: str(assistant.name) || null, body: assistant });

  app.post("/vapi/assistant", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const input = checked(request.body);
    if ("errors" in input) return refuseInvalid(reply, input.errors);
    const now = new Date().toISOString();
    const assistant = { id: randomUUID(), orgId: "org_simulator", createdAt: now, updatedAt: now, ...input.fields };
    return reply.code(201).send(save(assistant).body);
  });

  app.patch<{ Params: { id: string } }>("/vapi/assistant/:id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const input = checked(request.body);
    if ("errors" in input) return refuseInvalid(reply, input.errors);
    const stored = store.get("vapi", "assistant", request.params.id);
    if (!stored) return reply.code(404).send(NOT_FOUND);
    return save({ ...stored.body, ...input.fields, updatedAt: new Date().toISOString() }).body;
  });

  app.get<{ Params: { id: string } }>("/vapi/assistant/:id", async (request, reply) => {
    if (!authorised(request, reply, UNAUTHORISED)) return reply;
    const stored = store.get("vapi", "assistant", request.params.id);
    return stored ? stored.body : reply.code(404).send(NOT_FOUND);
  });
}
