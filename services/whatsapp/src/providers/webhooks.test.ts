import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { MalformedWebhookError } from "./errors";
import { metaChallenge, parseMetaWebhook, parseTwilioInbound, parseTwilioStatus, verifyMetaSignature } from "./webhooks";

const NOW = new Date("2026-11-20T10:00:00Z");

// What Twilio posts for an inbound WhatsApp message (form fields, as the gateway decodes them).
const twilioInbound = {
  SmsMessageSid: "SM9f3c2d1e0b8a7f6e5d4c3b2a19081726",
  NumMedia: "0",
  ProfileName: "Ada Lovelace",
  MessageType: "text",
  SmsSid: "SM9f3c2d1e0b8a7f6e5d4c3b2a19081726",
  WaId: "14155550123",
  SmsStatus: "received",
  Body: "Yes, Tuesday works",
  To: "whatsapp:+14155550100",
  NumSegments: "1",
  ReferralNumMedia: "0",
  MessageSid: "SM9f3c2d1e0b8a7f6e5d4c3b2a19081726",
  AccountSid: `AC${"a1".repeat(16)}`,
  From: "whatsapp:+14155550123",
  ApiVersion: "2010-04-01",
};

test("twilio inbound: addresses lose their whatsapp: prefix, the business number is the sender", () => {
  assert.deepEqual(parseTwilioInbound(twilioInbound, NOW), {
    provider: "twilio",
    providerMessageId: "SM9f3c2d1e0b8a7f6e5d4c3b2a19081726",
    from: "+14155550123",
    to: "+14155550100",
    senderId: "+14155550100",
    text: "Yes, Tuesday works",
    profileName: "Ada Lovelace",
    receivedAt: NOW,
  });
});

test("twilio inbound: media alone is an empty text; a quick-reply tap is its button label", () => {
  const media = { ...twilioInbound, Body: "", NumMedia: "1", MediaUrl0: "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME", MediaContentType0: "image/jpeg", ProfileName: "" };
  const parsed = parseTwilioInbound(media, NOW);
  assert.equal(parsed.text, "");
  assert.equal("profileName" in parsed, false);
  const { Body: _body, ...tap } = { ...twilioInbound, ButtonText: "Book a call", ButtonPayload: "book" };
  assert.equal(parseTwilioInbound(tap, NOW).text, "Book a call");
});

test("twilio inbound: no MessageSid, no From, or an SMS address is refused naming the field", () => {
  const { MessageSid: _sid, ...noSid } = twilioInbound;
  assert.throws(() => parseTwilioInbound(noSid), (err: unknown) => err instanceof MalformedWebhookError && err.path === "MessageSid");
  const { From: _from, ...noFrom } = twilioInbound;
  assert.throws(() => parseTwilioInbound(noFrom), (err: unknown) => err instanceof MalformedWebhookError && err.path === "From");
  assert.throws(() => parseTwilioInbound({ ...twilioInbound, From: "+14155550123" }), (err: unknown) => err instanceof MalformedWebhookError && err.path === "From" && /whatsapp:/.test(err.message));
  assert.throws(() => parseTwilioInbound({ ...twilioInbound, To: "whatsapp:14155550100" }), (err: unknown) => err instanceof MalformedWebhookError && err.path === "To");
});

test("twilio status: every Twilio state maps to Parley's five, with the error code of a failure", () => {
  const expected = {
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
  for (const [raw, status] of Object.entries(expected)) {
    assert.equal(parseTwilioStatus({ MessageSid: "SM1", MessageStatus: raw }, NOW).status, status, raw);
  }
  const failed = { MessageSid: "SM1", MessageStatus: "undelivered", ErrorCode: "63016", To: "whatsapp:+14155550123", From: "whatsapp:+14155550100", AccountSid: "AC1", ApiVersion: "2010-04-01", ChannelPrefix: "whatsapp" };
  assert.deepEqual(parseTwilioStatus(failed, NOW), { provider: "twilio", providerMessageId: "SM1", status: "failed", errorCode: "63016", recipient: "+14155550123", at: NOW });
  assert.throws(() => parseTwilioStatus({ MessageSid: "SM1", MessageStatus: "receiving" }), (err: unknown) => err instanceof MalformedWebhookError && err.path === "MessageStatus");
  assert.throws(() => parseTwilioStatus({ MessageStatus: "sent" }), (err: unknown) => err instanceof MalformedWebhookError && err.path === "MessageSid");
});

// One Meta POST: two messages (typed text, then a quick-reply button) and two statuses (delivered,
// and failed with errors), plus a template review on the same webhook that is not about messages.
const metaEnvelope = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            contacts: [
              { profile: { name: "Ada Lovelace" }, wa_id: "14155550123" },
              { profile: { name: "Grace Hopper" }, wa_id: "14155550124" },
            ],
            messages: [
              { from: "14155550123", id: "wamid.IN1", timestamp: "1763632800", type: "text", text: { body: "Yes, Tuesday works" } },
              { context: { from: "15550783881", id: "wamid.OUT0" }, from: "14155550124", id: "wamid.IN2", timestamp: "1763632805", type: "button", button: { payload: "book", text: "Book a call" } },
            ],
            statuses: [
              { id: "wamid.OUT1", status: "delivered", timestamp: "1763632810", recipient_id: "14155550123", conversation: { id: "c1", origin: { type: "utility" } }, pricing: { billable: true, category: "utility" } },
              {
                id: "wamid.OUT2",
                status: "failed",
                timestamp: "1763632811",
                recipient_id: "14155550125",
                biz_opaque_callback_data: "msg_02",
                errors: [{ code: 131047, title: "Re-engagement message", message: "Re-engagement message", error_data: { details: "More than 24 hours have passed" } }],
              },
            ],
          },
        },
        { field: "message_template_status_update", value: { event: "APPROVED", message_template_id: 2001, message_template_name: "follow_up" } },
      ],
    },
  ],
};

test("meta webhook: messages and statuses of one change, numbers in E.164, times from unix seconds", () => {
  assert.deepEqual(parseMetaWebhook(metaEnvelope), [
    {
      phoneNumberId: "106540352242922",
      messages: [
        { provider: "meta", providerMessageId: "wamid.IN1", from: "+14155550123", to: "+15550783881", senderId: "106540352242922", text: "Yes, Tuesday works", profileName: "Ada Lovelace", receivedAt: new Date(1763632800_000) },
        { provider: "meta", providerMessageId: "wamid.IN2", from: "+14155550124", to: "+15550783881", senderId: "106540352242922", text: "Book a call", profileName: "Grace Hopper", receivedAt: new Date(1763632805_000) },
      ],
      statuses: [
        { provider: "meta", providerMessageId: "wamid.OUT1", status: "delivered", recipient: "+14155550123", at: new Date(1763632810_000) },
        { provider: "meta", providerMessageId: "wamid.OUT2", status: "failed", errorCode: "131047", errorMessage: "Re-engagement message", recipient: "+14155550125", callbackData: "msg_02", at: new Date(1763632811_000) },
      ],
    },
  ]);
});

test("meta webhook: interactive replies carry their title, media alone is empty, unknown statuses are skipped", () => {
  const value = (messages: unknown[], statuses: unknown[] = []) => ({
    object: "whatsapp_business_account",
    entry: [{ id: "1", changes: [{ field: "messages", value: { metadata: { display_phone_number: "+1 555-078-3881", phone_number_id: "106" }, messages, statuses } }] }],
  });
  const [change] = parseMetaWebhook(
    value(
      [
        { from: "14155550123", id: "a", timestamp: "1763632800", type: "interactive", interactive: { type: "button_reply", button_reply: { id: "yes", title: "Yes please" } } },
        { from: "14155550123", id: "b", timestamp: "1763632801", type: "interactive", interactive: { type: "list_reply", list_reply: { id: "tue", title: "Tuesday", description: "10:00" } } },
        { from: "14155550123", id: "c", timestamp: "1763632802", type: "image", image: { id: "media1", mime_type: "image/jpeg" } },
      ],
      [{ id: "wamid.X", status: "deleted", timestamp: "1763632803", recipient_id: "14155550123" }],
    ),
  );
  assert.deepEqual(
    change?.messages.map((m) => [m.text, m.to, m.profileName]),
    [
      ["Yes please", "+15550783881", undefined],
      ["Tuesday", "+15550783881", undefined],
      ["", "+15550783881", undefined],
    ],
  );
  assert.deepEqual(change?.statuses, []);
});

test("meta webhook: anything short of the documented shape is refused naming what is missing", () => {
  const malformed = (body: unknown, path: string) =>
    assert.throws(() => parseMetaWebhook(body), (err: unknown) => err instanceof MalformedWebhookError && err.path === path && err.message.includes(path));
  malformed("not json", "body");
  malformed(null, "body");
  malformed({ object: "page", entry: [] }, "object");
  malformed({ object: "whatsapp_business_account" }, "entry");
  malformed({ object: "whatsapp_business_account", entry: [{ id: "1" }] }, "entry[0].changes");
  const change = (value: Record<string, unknown>) => ({ object: "whatsapp_business_account", entry: [{ id: "1", changes: [{ field: "messages", value }] }] });
  const metadata = { display_phone_number: "15550783881", phone_number_id: "106" };
  malformed(change({ metadata: { display_phone_number: "15550783881" } }), "entry[0].changes[0].value.metadata.phone_number_id");
  malformed(change({ metadata: { phone_number_id: "106" } }), "entry[0].changes[0].value.metadata.display_phone_number");
  malformed(change({ metadata, messages: [{ from: "14155550123", timestamp: "1763632800", type: "text", text: { body: "hi" } }] }), "entry[0].changes[0].value.messages[0].id");
  malformed(change({ metadata, messages: [{ id: "a", timestamp: "1763632800", type: "text" }] }), "entry[0].changes[0].value.messages[0].from");
  malformed(change({ metadata, messages: [{ id: "a", from: "14155550123", timestamp: "yesterday", type: "text" }] }), "entry[0].changes[0].value.messages[0].timestamp");
  malformed(change({ metadata, statuses: [{ status: "sent", timestamp: "1763632800" }] }), "entry[0].changes[0].value.statuses[0].id");
  malformed(change({ metadata, messages: "many" }), "entry[0].changes[0].value.messages");
});

test("meta signature: the HMAC of the raw body with the app secret passes; forged, re-encoded, bare or absent fails", () => {
  const raw = Buffer.from(JSON.stringify(metaEnvelope));
  const hex = createHmac("sha256", "app-secret").update(raw).digest("hex");
  assert.equal(verifyMetaSignature("app-secret", raw, `sha256=${hex}`), true);
  assert.equal(verifyMetaSignature("other-secret", raw, `sha256=${hex}`), false);
  assert.equal(verifyMetaSignature("app-secret", Buffer.from(JSON.stringify(metaEnvelope, null, 2)), `sha256=${hex}`), false, "the raw body, not a re-serialisation");
  assert.equal(verifyMetaSignature("app-secret", raw, `sha256=${hex.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}`), false);
  assert.equal(verifyMetaSignature("app-secret", raw, hex), false, "the sha256= prefix is required");
  assert.equal(verifyMetaSignature("app-secret", raw, `sha1=${hex}`), false);
  assert.equal(verifyMetaSignature("app-secret", raw, `sha256=${hex}00`), false);
  assert.equal(verifyMetaSignature("app-secret", raw, undefined), false);
});

test("meta challenge: answered only for subscribe with our verify token", () => {
  const query = { "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444" };
  assert.deepEqual(metaChallenge(query, "verify-me"), { ok: true, challenge: "1158201444" });
  assert.deepEqual(metaChallenge({ ...query, "hub.verify_token": "guess" }, "verify-me"), { ok: false });
  assert.deepEqual(metaChallenge({ ...query, "hub.mode": "unsubscribe" }, "verify-me"), { ok: false });
  assert.deepEqual(metaChallenge({ ...query, "hub.challenge": "" }, "verify-me"), { ok: false });
  assert.deepEqual(metaChallenge({ ...query, "hub.verify_token": ["verify-me", "x"] }, "verify-me"), { ok: false });
  assert.deepEqual(metaChallenge({ ...query, "hub.verify_token": "" }, ""), { ok: false }, "an unset token verifies nothing");
});
