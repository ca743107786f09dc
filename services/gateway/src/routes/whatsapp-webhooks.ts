// WhatsApp ingress: Twilio's inbound and status webhooks (form-encoded, X-Twilio-Signature) and
// Meta's Cloud API webhook (JSON, X-Hub-Signature-256, with its GET subscription handshake).
// Each delivery is verified on the raw bytes by whatsapp (which alone holds the secrets), then
// published to WEBHOOKS with the provider's message id as Nats-Msg-Id, so a provider's retries
// collapse into one event; the provider gets its 200 only after JetStream's ack.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_WORKSPACE, withPrefix } from "@parley/bus";
import { DependencyUnavailableError, problem } from "@parley/errors";
import type { GrpcClient } from "@parley/grpc";
import { counter } from "@parley/metrics";
import type { whatsappV1 } from "@parley/proto";
import { injectTraceHeaders } from "@parley/telemetry";
import { sendProblem } from "../http/problems";

export interface WhatsAppWebhookDeps {
  whatsapp: GrpcClient<typeof whatsappV1.WhatsAppServiceService>["call"];
  js: JetStreamClient;
  prefix: string;
  publishTimeoutMs: number;
  /** The gateway's public base URL, which Twilio signs; else the request's own scheme and host. */
  publicUrl?: string;
  /** The operator's Meta verify token, for an app-wide webhook URL that names no workspace. */
  metaVerifyToken?: string;
}

/** The form field that carries our message id from a status callback's URL to the consumer. */
export const PARLEY_MESSAGE_PARAM = "ParleyMessageId";

/** The WEBHOOKS subjects' event names: webhooks.<kind>.<workspace>. */
export type WhatsAppWebhookKind = "twilio_whatsapp" | "twilio_status" | "meta_whatsapp";

const received = counter("parley_whatsapp_webhooks_received_total", "WhatsApp provider webhooks by outcome", ["kind", "outcome"]);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown) => (typeof v === "string" ? v : "");
const rawOf = (request: FastifyRequest): Buffer => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
const stripWhatsApp = (address: string) => address.replace(/^whatsapp:/, "");

function unauthorized(request: FastifyRequest, reply: FastifyReply, kind: WhatsAppWebhookKind, workspaceId: string, reason: string) {
  received.inc({ kind, outcome: "rejected" });
  request.log.warn({ kind, workspace_id: workspaceId, reason }, "whatsapp webhook rejected");
  return sendProblem(reply, problem(401, "Unauthorized", "The webhook signature could not be verified."));
}

export function whatsappWebhookRoutes(app: FastifyInstance, deps: WhatsAppWebhookDeps): void {
  const publish = async (kind: WhatsAppWebhookKind, workspaceId: string, id: string, payload: Uint8Array): Promise<boolean> => {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(injectTraceHeaders())) h.set(key, value);
    h.set(HEADER_EVENT_ID, id);
    h.set(HEADER_EVENT_TYPE, `webhooks.${kind}`);
    h.set(HEADER_WORKSPACE, workspaceId);
    try {
      const ack = await deps.js.publish(withPrefix(`webhooks.${kind}.${workspaceId}`, deps.prefix), payload, { msgID: id, headers: h, timeout: deps.publishTimeoutMs });
      received.inc({ kind, outcome: ack.duplicate ? "duplicate" : "accepted" });
      return ack.duplicate;
    } catch (err) {
      received.inc({ kind, outcome: "unavailable" });
      throw new DependencyUnavailableError("The event bus did not acknowledge the webhook; retry.", { cause: String(err) });
    }
  };

  /** The URL Twilio signed: the configured public URL when behind a proxy, never the Host header alone. */
  const signedUrl = (request: FastifyRequest) => `${deps.publicUrl?.replace(/\/$/, "") ?? `${request.protocol}://${request.host}`}${request.url}`;

  const twilio = (kind: "twilio_whatsapp" | "twilio_status") => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = Object.fromEntries(new URLSearchParams(rawOf(request).toString("utf8")));
    const messageSid = params.MessageSid ?? "";
    if (!messageSid) {
      received.inc({ kind, outcome: "malformed" });
      return sendProblem(reply, problem(400, "Invalid Request", "The webhook has no MessageSid."));
    }
    // Inbound names our number in To; a status callback carries the workspace in the URL we gave Twilio.
    const query = obj(request.query);
    const workspaceId =
      kind === "twilio_status" ? str(query.workspace) : (await deps.whatsapp.resolveSender({ provider: "twilio", senderId: stripWhatsApp(params.To ?? "") })).workspaceId;
    const signature = request.headers["x-twilio-signature"];
    const verdict = await deps.whatsapp.verifyTwilioSignature({ workspaceId, url: signedUrl(request), params, signature: typeof signature === "string" ? signature : "" });
    if (!verdict.valid) return unauthorized(request, reply, kind, workspaceId, verdict.reason);
    const id = kind === "twilio_status" ? `twilio:${messageSid}:${params.MessageStatus ?? ""}` : `twilio:${messageSid}`;
    // Our message id rides in the callback URL we gave Twilio: it finds the message even when the
    // send's answer (with Twilio's sid) was lost to a crash. It is carried as one more form field.
    const ours = kind === "twilio_status" ? str(query.message) : "";
    const payload = ours ? Buffer.concat([rawOf(request), Buffer.from(`&${new URLSearchParams({ [PARLEY_MESSAGE_PARAM]: ours })}`)]) : rawOf(request);
    await publish(kind, workspaceId, id, payload);
    // Twilio reads a reply to an inbound message as TwiML to send: an empty Response sends nothing.
    return reply.type("text/xml").send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  };

  app.post("/webhooks/twilio/whatsapp", { schema: { hide: true } }, twilio("twilio_whatsapp"));
  app.post("/webhooks/twilio/status", { schema: { hide: true } }, twilio("twilio_status"));

  app.get("/webhooks/meta/whatsapp", { schema: { hide: true } }, async (request, reply) => {
    const query = obj(request.query);
    const token = str(query["hub.verify_token"]);
    const workspaceId = str(query.workspace);
    const valid = query["hub.mode"] === "subscribe" && !!token && (workspaceId ? (await deps.whatsapp.verifyMetaToken({ workspaceId, verifyToken: token })).valid : token === deps.metaVerifyToken);
    if (!valid) {
      received.inc({ kind: "meta_whatsapp", outcome: "challenge_refused" });
      return sendProblem(reply, problem(403, "Forbidden", "The verify token does not match."));
    }
    received.inc({ kind: "meta_whatsapp", outcome: "challenge_answered" });
    return reply.type("text/plain").send(str(query["hub.challenge"]));
  });

  app.post("/webhooks/meta/whatsapp", { schema: { hide: true } }, async (request, reply) => {
    const raw = rawOf(request);
    let body: Json;
    try {
      body = obj(JSON.parse(raw.toString("utf8")));
    } catch {
      received.inc({ kind: "meta_whatsapp", outcome: "malformed" });
      return sendProblem(reply, problem(400, "Invalid Request", "The webhook body is not JSON."));
    }
    const deliveries = metaDeliveries(body);
    // One app's webhook can carry several numbers: each change is verified against its own workspace.
    const workspaces = new Map<string, string>();
    for (const phoneNumberId of new Set(deliveries.map((d) => d.phoneNumberId))) {
      const { workspaceId } = await deps.whatsapp.resolveSender({ provider: "meta", senderId: phoneNumberId });
      const signature = request.headers["x-hub-signature-256"];
      const verdict = await deps.whatsapp.verifyMetaSignature({ workspaceId, rawBody: raw, signature: typeof signature === "string" ? signature : "" });
      if (!verdict.valid) return unauthorized(request, reply, "meta_whatsapp", workspaceId, verdict.reason);
      workspaces.set(phoneNumberId, workspaceId);
    }
    if (deliveries.length === 0) {
      // Nothing to route (another field, or an empty test POST): verify against nobody, keep nothing.
      received.inc({ kind: "meta_whatsapp", outcome: "ignored" });
      return { received: true };
    }
    for (const d of deliveries) await publish("meta_whatsapp", workspaces.get(d.phoneNumberId)!, d.id, Buffer.from(JSON.stringify(d.envelope)));
    return { received: true };
  });
}

interface MetaDelivery {
  phoneNumberId: string;
  /** The provider's id: the message's wamid, or wamid + status for a status. */
  id: string;
  /** The original envelope narrowed to this one message or status, so the consumer parses one shape. */
  envelope: Json;
}

/** Meta batches messages and statuses of several numbers into one POST; each becomes its own event. */
function metaDeliveries(body: Json): MetaDelivery[] {
  const out: MetaDelivery[] = [];
  for (const entry of arr(body.entry).map(obj)) {
    for (const change of arr(entry.changes).map(obj)) {
      if (change.field !== "messages") continue;
      const value = obj(change.value);
      const phoneNumberId = str(obj(value.metadata).phone_number_id);
      if (!phoneNumberId) continue;
      const narrowed = (items: Json) => ({ object: body.object, entry: [{ id: entry.id, changes: [{ field: "messages", value: { messaging_product: value.messaging_product, metadata: value.metadata, contacts: value.contacts, ...items } }] }] });
      for (const message of arr(value.messages).map(obj)) out.push({ phoneNumberId, id: `meta:${str(message.id) || digest(message)}`, envelope: narrowed({ messages: [message] }) });
      for (const status of arr(value.statuses).map(obj)) out.push({ phoneNumberId, id: `meta:${str(status.id) || digest(status)}:${str(status.status)}`, envelope: narrowed({ statuses: [status] }) });
    }
  }
  return out;
}

const digest = (v: unknown) => createHash("sha256").update(JSON.stringify(v)).digest("hex");
