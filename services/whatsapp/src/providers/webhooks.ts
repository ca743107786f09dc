// What Twilio and Meta post to Parley, brought to the port's InboundMessage and StatusUpdate.
// A payload that lacks what the provider documents is refused whole (MalformedWebhookError), so
// nothing downstream sees a message without an id or a sender.
import { createHmac, timingSafeEqual } from "node:crypto";
import { MalformedWebhookError } from "./errors";
import type { DeliveryStatus, InboundMessage, StatusUpdate } from "./port";

const E164 = /^\+[1-9]\d{6,14}$/;

const TWILIO_STATUSES: Record<string, DeliveryStatus> = {
  accepted: "queued",
  scheduled: "queued",
  queued: "queued",
  sending: "queued",
  sent: "sent",
  delivered: "delivered",
  read: "read",
  undelivered: "failed",
  failed: "failed",
  canceled: "failed",
};

export function twilioDeliveryStatus(raw: string): DeliveryStatus | undefined {
  return Object.hasOwn(TWILIO_STATUSES, raw) ? TWILIO_STATUSES[raw] : undefined;
}

function requiredParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new MalformedWebhookError(name);
  return value;
}

// The same Twilio number can receive SMS; only `whatsapp:` addresses belong to this channel.
function whatsappAddress(name: string, value: string): string {
  const number = value.startsWith("whatsapp:") ? value.slice("whatsapp:".length) : "";
  if (!E164.test(number)) throw new MalformedWebhookError(name, `is not a whatsapp:+E.164 address (${value})`);
  return number;
}

/** A Twilio inbound message (form fields). Twilio sends no timestamp, so it is received now. */
export function parseTwilioInbound(params: Record<string, string>, receivedAt = new Date()): InboundMessage {
  const providerMessageId = requiredParam(params, "MessageSid");
  const from = whatsappAddress("From", requiredParam(params, "From"));
  const to = whatsappAddress("To", requiredParam(params, "To"));
  return {
    provider: "twilio",
    providerMessageId,
    from,
    to,
    senderId: to,
    // A quick-reply tap carries its label in ButtonText; media alone leaves both empty.
    text: params.Body || params.ButtonText || "",
    ...(params.ProfileName ? { profileName: params.ProfileName } : {}),
    receivedAt,
  };
}

/** A Twilio status callback (form fields); `at` defaults to now, Twilio sends no timestamp. */
export function parseTwilioStatus(params: Record<string, string>, at = new Date()): StatusUpdate {
  const providerMessageId = requiredParam(params, "MessageSid");
  const raw = requiredParam(params, "MessageStatus");
  const status = twilioDeliveryStatus(raw);
  if (!status) throw new MalformedWebhookError("MessageStatus", `is not a message status (${raw})`);
  return {
    provider: "twilio",
    providerMessageId,
    status,
    ...(params.ErrorCode ? { errorCode: params.ErrorCode } : {}),
    ...(params.To ? { recipient: whatsappAddress("To", params.To) } : {}),
    at,
  };
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (value === undefined || value === null) throw new MalformedWebhookError(path);
  if (typeof value !== "object" || Array.isArray(value)) throw new MalformedWebhookError(path, "is not an object");
  return value as Json;
}

function list(value: unknown, path: string, optional = false): unknown[] {
  if (value === undefined && optional) return [];
  if (value === undefined || value === null) throw new MalformedWebhookError(path);
  if (!Array.isArray(value)) throw new MalformedWebhookError(path, "is not an array");
  return value;
}

function text(value: unknown, path: string): string {
  if (value === undefined || value === null || value === "") throw new MalformedWebhookError(path);
  if (typeof value !== "string") throw new MalformedWebhookError(path, "is not a string");
  return value;
}

/** Meta's numbers are digits (a display number may be formatted); the port's are E.164. */
function e164(value: unknown, path: string): string {
  const number = `+${text(value, path).replace(/[\s()+-]/g, "")}`;
  if (!E164.test(number)) throw new MalformedWebhookError(path, `is not a phone number (${String(value)})`);
  return number;
}

function unixSeconds(value: unknown, path: string): Date {
  const seconds = typeof value === "number" ? value : Number(text(value, path));
  if (!Number.isInteger(seconds) || seconds <= 0) throw new MalformedWebhookError(path, `is not a unix timestamp (${String(value)})`);
  return new Date(seconds * 1000);
}

function dig(value: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Json)[key] : undefined), value);
}

/** The words of a message: typed text, a template button's label, or an interactive reply's title. */
function metaText(message: Json): string {
  const candidates = [dig(message, "text", "body"), dig(message, "button", "text"), dig(message, "interactive", "button_reply", "title"), dig(message, "interactive", "list_reply", "title")];
  return candidates.find((c): c is string => typeof c === "string") ?? "";
}

const META_STATUSES: Record<string, DeliveryStatus> = { sent: "sent", delivered: "delivered", read: "read", failed: "failed" };

export interface MetaWebhookChange {
  phoneNumberId: string;
  messages: InboundMessage[];
  statuses: StatusUpdate[];
}

function parseMetaChange(value: Json, path: string): MetaWebhookChange {
  const metadata = object(value.metadata, `${path}.metadata`);
  const phoneNumberId = text(metadata.phone_number_id, `${path}.metadata.phone_number_id`);
  const business = e164(metadata.display_phone_number, `${path}.metadata.display_phone_number`);
  const names = new Map<unknown, string>();
  for (const contact of list(value.contacts, `${path}.contacts`, true)) {
    const name = dig(contact, "profile", "name");
    if (typeof name === "string" && name) names.set(dig(contact, "wa_id"), name);
  }

  const messages = list(value.messages, `${path}.messages`, true).map((m, i): InboundMessage => {
    const at = `${path}.messages[${i}]`;
    const message = object(m, at);
    const waId = text(message.from, `${at}.from`);
    const profileName = names.get(waId);
    return {
      provider: "meta",
      providerMessageId: text(message.id, `${at}.id`),
      from: e164(waId, `${at}.from`),
      to: business,
      senderId: phoneNumberId,
      text: metaText(message),
      ...(profileName ? { profileName } : {}),
      receivedAt: unixSeconds(message.timestamp, `${at}.timestamp`),
    };
  });

  const statuses: StatusUpdate[] = [];
  list(value.statuses, `${path}.statuses`, true).forEach((s, i) => {
    const at = `${path}.statuses[${i}]`;
    const entry = object(s, at);
    const providerMessageId = text(entry.id, `${at}.id`);
    const status = META_STATUSES[text(entry.status, `${at}.status`)];
    // Meta adds states over time (e.g. `deleted`); none of them is a delivery step, and refusing
    // the POST would make Meta redeliver every other item in it for days.
    if (!status) return;
    const error = dig(entry, "errors", "0");
    const code = dig(error, "code");
    const title = dig(error, "title") ?? dig(error, "message");
    statuses.push({
      provider: "meta",
      providerMessageId,
      status,
      ...(typeof code === "number" || typeof code === "string" ? { errorCode: String(code) } : {}),
      ...(typeof title === "string" && title ? { errorMessage: title } : {}),
      ...(entry.recipient_id === undefined ? {} : { recipient: e164(entry.recipient_id, `${at}.recipient_id`) }),
      ...(typeof entry.biz_opaque_callback_data === "string" && entry.biz_opaque_callback_data ? { callbackData: entry.biz_opaque_callback_data } : {}),
      at: unixSeconds(entry.timestamp, `${at}.timestamp`),
    });
  });

  return { phoneNumberId, messages, statuses };
}

/** A Meta webhook POST: one element per `messages` change, to be routed by its phone_number_id. */
export function parseMetaWebhook(body: unknown): MetaWebhookChange[] {
  const root = object(body, "body");
  if (root.object !== "whatsapp_business_account") throw new MalformedWebhookError("object", `is not "whatsapp_business_account" (${String(root.object)})`);
  const changes: MetaWebhookChange[] = [];
  list(root.entry, "entry").forEach((e, i) => {
    list(object(e, `entry[${i}]`).changes, `entry[${i}].changes`).forEach((c, j) => {
      const path = `entry[${i}].changes[${j}]`;
      const change = object(c, path);
      // Template reviews, quality and account updates arrive on the same webhook; they are not messages.
      if (change.field !== "messages") return;
      changes.push(parseMetaChange(object(change.value, `${path}.value`), `${path}.value`));
    });
  });
  return changes;
}

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>`. */
export function verifyMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  const hex = /^sha256=([0-9a-f]{64})$/i.exec(header ?? "")?.[1];
  if (!hex) return false;
  const expected = createHmac("sha256", appSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, "hex"), expected);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Meta's subscription check: echo `hub.challenge` when the mode is subscribe and the token is ours. */
export function metaChallenge(query: Record<string, unknown>, verifyToken: string): { ok: true; challenge: string } | { ok: false } {
  const mode = query["hub.mode"];
  const token = query["hub.verify_token"];
  const challenge = query["hub.challenge"];
  if (!verifyToken || mode !== "subscribe" || typeof token !== "string" || typeof challenge !== "string" || !challenge) return { ok: false };
  return sameSecret(token, verifyToken) ? { ok: true, challenge } : { ok: false };
}
