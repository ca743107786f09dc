import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_WORKSPACE, withPrefix } from "@parley/bus";
import { DependencyUnavailableError, isDomainError, problem } from "@parley/errors";
import { counter } from "@parley/metrics";
import type { GrpcClient } from "@parley/grpc";
import type { voiceV1 } from "@parley/proto";
import { injectTraceHeaders } from "@parley/telemetry";
import { sendProblem } from "../http/problems";
import { twilioVoiceHandler, type TwilioVoiceDeps } from "./twilio-voice";
import { whatsappWebhookRoutes } from "./whatsapp-webhooks";

type Provider = "vapi" | "bolna" | "retell";
type Json = Record<string, unknown>;

export interface WebhookDeps extends TwilioVoiceDeps {
  voice: GrpcClient<typeof voiceV1.VoiceServiceService>["call"];
  js: JetStreamClient;
  prefix: string;
  publishTimeoutMs: number;
  metaVerifyToken?: string;
}

const received = counter("parley_webhooks_received_total", "Provider webhooks by outcome", ["provider", "outcome"]);

const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown) => (typeof v === "string" ? v : "");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Which workspace a webhook claims to be for; its signature is then checked with that workspace's secret. */
function workspaceOf(provider: Provider, body: Json, query: Record<string, string>): string {
  if (query.workspace) return query.workspace;
  if (provider === "vapi") return str(obj(obj(obj(body.message).call).metadata).parley_workspace_id);
  if (provider === "retell") return str(obj(obj(body.call).metadata).parley_workspace_id);
  return "";
}

/** An inbound call's webhook names no workspace: the called number does, if a tenant registered it. */
async function inboundWorkspace(deps: WebhookDeps, provider: Provider, body: Json): Promise<string> {
  const called = provider === "vapi" ? calledNumber(body) : "";
  return called ? (await deps.voice.resolveInbound({ calledNumber: called })).workspaceId : "";
}

function calledNumber(body: Json): string {
  const message = obj(body.message);
  return str(obj(message.phoneNumber).number) || str(obj(obj(message.call).phoneNumber).number);
}

/**
 * The provider's id of this delivery, so JetStream drops a re-delivery: Retell's call and event,
 * Bolna's (execution, status, updated_at). Vapi messages carry no id: the hash of the exact bytes.
 */
function eventId(provider: Provider, body: Json, raw: Buffer): string {
  if (provider === "retell") return `retell:${str(obj(body.call).call_id)}:${str(body.event)}`;
  if (provider === "bolna") return `bolna:${str(body.id)}:${str(body.status)}:${str(body.updated_at)}`;
  return `vapi:${sha256(raw)}`;
}

/** Vapi `tool-calls`: `toolCallList`, or the older `toolWithToolCallList`. */
function vapiToolCalls(body: Json): { id: string; name: string; argumentsJson: string }[] | undefined {
  const message = obj(body.message);
  if (message.type !== "tool-calls") return undefined;
  const list = Array.isArray(message.toolCallList) ? message.toolCallList : Array.isArray(message.toolWithToolCallList) ? message.toolWithToolCallList.map((t) => obj(t).toolCall) : [];
  return list.map((raw) => {
    const tc = obj(raw);
    const fn = obj(tc.function);
    const args = fn.arguments;
    return { id: str(tc.id), name: str(fn.name), argumentsJson: typeof args === "string" ? args : JSON.stringify(args ?? {}) };
  });
}

function lowerCaseHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) if (typeof value === "string") out[key.toLowerCase()] = value;
  return out;
}

const rawOf = (request: FastifyRequest): Buffer => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
const queryOf = (request: FastifyRequest): Record<string, string> => Object.fromEntries(Object.entries(obj(request.query)).map(([k, v]) => [k, str(v)]));

/** The body as a JSON object, or undefined when it is not JSON. */
function jsonOf(raw: Buffer): Json | undefined {
  try {
    return obj(JSON.parse(raw.toString("utf8")));
  } catch {
    return undefined;
  }
}

/** A delivery whose signature does not verify: a 401, counted and logged, nothing stored. */
function refuse(request: FastifyRequest, reply: FastifyReply, provider: Provider, workspaceId: string, reason: string, what: string) {
  received.inc({ provider, outcome: "rejected" });
  request.log.warn({ provider, workspace_id: workspaceId, reason }, `${what} rejected`);
  void reply.header("www-authenticate", `Signature realm="${provider}"`);
  return sendProblem(reply, problem(401, "Unauthorized", `The ${what} signature could not be verified.`));
}

/**
 * Provider ingress: the signature is verified on the raw bytes (by voice, which holds the secrets),
 * then the body goes to the WEBHOOKS stream, and the provider gets its 2xx only once JetStream has
 * acknowledged. A forged or unknown webhook is a 401 and leaves no trace but a metric and a log line.
 */
export async function webhookRoutes(root: FastifyInstance, deps: WebhookDeps): Promise<void> {
  await root.register(async (app) => {
    // Signatures cover the exact bytes: keep them instead of Fastify's parsed JSON.
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser(["application/json", "text/plain", "application/x-www-form-urlencoded"], { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    const handle = (provider: Provider) => async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = rawOf(request);
      const body = jsonOf(raw);
      if (!body) {
        received.inc({ provider, outcome: "malformed" });
        return sendProblem(reply, problem(400, "Invalid Request", "The webhook body is not JSON."));
      }
      const query = queryOf(request);
      const workspaceId = workspaceOf(provider, body, query) || (await inboundWorkspace(deps, provider, body));
      const verdict = await deps.voice.verifyWebhook({ provider, workspaceId, rawBody: raw, headers: lowerCaseHeaders(request), query });
      if (!verdict.valid) return refuse(request, reply, provider, workspaceId, verdict.reason, "webhook");
      const id = eventId(provider, body, raw);
      const h = natsHeaders();
      for (const [key, value] of Object.entries(injectTraceHeaders())) h.set(key, value);
      h.set(HEADER_EVENT_ID, id);
      h.set(HEADER_EVENT_TYPE, `webhooks.${provider}`);
      h.set(HEADER_WORKSPACE, workspaceId);
      try {
        const ack = await deps.js.publish(withPrefix(`webhooks.${provider}.${workspaceId}`, deps.prefix), raw, { msgID: id, headers: h, timeout: deps.publishTimeoutMs });
        received.inc({ provider, outcome: ack.duplicate ? "duplicate" : "accepted" });
        // An inbound call: Vapi waits (about 7.5 s) for the assistant to answer it with.
        if (provider === "vapi" && obj(body.message).type === "assistant-request") {
          const message = obj(body.message);
          const caller = str(obj(message.customer).number) || str(obj(obj(message.call).customer).number);
          try {
            const answer = await deps.voice.answerInbound({ workspaceId, calledNumber: calledNumber(body), callerNumber: caller, providerCallId: str(obj(message.call).id) });
            return { assistantId: answer.assistantId, assistantOverrides: { variableValues: answer.variables } };
          } catch (err) {
            if (isDomainError(err) && err.kind === "not_found") return { error: "This number is not set up to take calls." };
            throw err;
          }
        }
        // Vapi waits for tool results in the response (its server timeout, 20 s by default).
        const toolCalls = provider === "vapi" ? vapiToolCalls(body) : undefined;
        if (toolCalls) {
          const call = obj(obj(body.message).call);
          const { results } = await deps.voice.handleToolCalls({ workspaceId, provider, callId: str(obj(call.metadata).parley_call_id), providerCallId: str(call.id), leadId: "", toolCalls });
          return { results: results.map((r) => ({ toolCallId: r.toolCallId, result: r.resultJson })) };
        }
        return { received: true, duplicate: ack.duplicate };
      } catch (err) {
        if (isDomainError(err)) throw err;
        received.inc({ provider, outcome: "unavailable" });
        throw new DependencyUnavailableError("The event bus did not acknowledge the webhook; retry.", { cause: String(err) });
      }
    };

    // Retell custom functions: signed like its webhooks, answered in the response, not events to keep.
    const retellFunction = async (request: FastifyRequest, reply: FastifyReply) => {
      const raw = rawOf(request);
      const body = jsonOf(raw);
      if (!body) return sendProblem(reply, problem(400, "Invalid Request", "The function call body is not JSON."));
      const query = queryOf(request);
      const call = obj(body.call);
      const workspaceId = workspaceOf("retell", body, query);
      const verdict = await deps.voice.verifyWebhook({ provider: "retell", workspaceId, rawBody: raw, headers: lowerCaseHeaders(request), query });
      if (!verdict.valid) return refuse(request, reply, "retell", workspaceId, verdict.reason, "function call");
      received.inc({ provider: "retell", outcome: "function_call" });
      const name = str(body.name);
      const { results } = await deps.voice.handleToolCalls({
        workspaceId,
        provider: "retell",
        callId: str(obj(call.metadata).parley_call_id),
        providerCallId: str(call.call_id),
        leadId: "",
        toolCalls: [{ id: `${str(call.call_id)}:${name}`, name, argumentsJson: JSON.stringify(body.args ?? {}) }],
      });
      return JSON.parse(results[0]?.resultJson ?? "{}") as Json;
    };

    const schema = { hide: true };
    app.post("/webhooks/retell/functions", { schema }, retellFunction);
    app.post("/webhooks/twilio/voice", { schema }, twilioVoiceHandler(deps));
    app.post("/webhooks/vapi", { schema }, handle("vapi"));
    app.post("/webhooks/retell", { schema }, handle("retell"));
    app.post("/webhooks/bolna", { schema }, handle("bolna"));
    whatsappWebhookRoutes(app, deps);
  });
}
