import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from "fastify";
import { buildSimulator } from "../app";

const TWILIO = { provider: "twilio", account_sid: `AC${"a1".repeat(16)}`, auth_token: "twilio-auth-token", number: "+14155550100" } as const;
const META = { provider: "meta", phone_number_id: "106540352242922", display_phone_number: "+14155550199", app_secret: "meta-app-secret", business_account_id: "102290129340398" } as const;
const GRAPH = "/meta/v21.0";
const TWILIO_MESSAGES = `/twilio/2010-04-01/Accounts/${TWILIO.account_sid}/Messages.json`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One webhook as Parley's gateway would see it, with its signature checked independently of the simulator. */
interface Received {
  path: string;
  raw: string;
  signature: string;
  signedCorrectly: boolean;
  form?: Record<string, string>;
  json?: Json;
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

// Twilio's published algorithm: the full URL, then each POST parameter name and value, sorted by name.
function twilioSignatureIsValid(authToken: string, url: string, form: Record<string, string>, signature: string): boolean {
  const signed = Object.entries(form)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => name + value)
    .join("");
  return sameText(createHmac("sha1", Buffer.from(authToken, "utf8")).update(Buffer.from(url + signed, "utf8")).digest("base64"), signature);
}

const metaSignatureIsValid = (appSecret: string, raw: string, signature: string) => sameText(`sha256=${createHmac("sha256", appSecret).update(raw).digest("hex")}`, signature);

/** Stands in for Parley: records every webhook and answers 200, or 500 while `failNext` lasts. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { failNext: 0 };
  const app = Fastify();
  app.addContentTypeParser(["application/x-www-form-urlencoded", "application/json"], { parseAs: "string" }, (_request, body, done) => done(null, body));
  let port = 0;
  app.post("/*", async (request, reply) => {
    const raw = String(request.body);
    const path = request.url.split("?")[0]!;
    if (request.headers["content-type"]?.startsWith("application/json")) {
      const signature = String(request.headers["x-hub-signature-256"] ?? "");
      received.push({ path, raw, signature, signedCorrectly: metaSignatureIsValid(META.app_secret, raw, signature), json: JSON.parse(raw) as Json });
    } else {
      const form = Object.fromEntries(new URLSearchParams(raw));
      const signature = String(request.headers["x-twilio-signature"] ?? "");
      const url = `http://127.0.0.1:${port}${request.url}`;
      received.push({ path, raw, signature, signedCorrectly: twilioSignatureIsValid(TWILIO.auth_token, url, form, signature), form });
    }
    if (state.failNext > 0) {
      state.failNext -= 1;
      return reply.code(500).send();
    }
    return reply.code(200).send();
  });
  const listening = await app.listen({ port: 0, host: "127.0.0.1" });
  port = (app.server.address() as AddressInfo).port;
  return { url: listening, received, state, close: () => app.close() };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const DELIVERED_READ = [
  ["sent", null, true],
  ["delivered", null, true],
  ["read", null, true],
];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One provider seen from Parley's adapter: how it sends, how it refuses, how its status webhooks look. */
interface Channel {
  provider: "twilio" | "meta";
  business: string;
  sendText(to: string, body: string, statusCallback?: string): Promise<LightMyRequestResponse>;
  sendTemplate(to: string, name: string, variables: string[]): Promise<LightMyRequestResponse>;
  acceptedStatus: number;
  messageId(response: LightMyRequestResponse): string;
  errorCode(response: LightMyRequestResponse): number;
  /** The status webhooks received for a message, in arrival order. */
  statuses(receiver: Receiver, messageId: string): { status: string; errorCode: number | null; signedCorrectly: boolean }[];
  windowClosedCode: number;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const twilioAuth = { authorization: basic(TWILIO.account_sid, TWILIO.auth_token), "content-type": "application/x-www-form-urlencoded" };
const metaAuth = { authorization: "Bearer meta-access-token" };

function twilioChannel(app: FastifyInstance): Channel {
  const send = (form: Record<string, string>) => app.inject({ method: "POST", url: TWILIO_MESSAGES, headers: twilioAuth, payload: new URLSearchParams(form).toString() });
  return {
    provider: "twilio",
    business: TWILIO.number,
    sendText: (to, body, statusCallback) => send({ From: `whatsapp:${TWILIO.number}`, To: `whatsapp:${to}`, Body: body, ...(statusCallback ? { StatusCallback: statusCallback } : {}) }),
    async sendTemplate(to, name, variables) {
      const contents = (await app.inject({ url: "/twilio/content/v1/ContentAndApprovals", headers: twilioAuth })).json().contents as Json[];
      const sid = contents.find((c) => c.friendly_name === name)?.sid as string | undefined;
      const values = JSON.stringify(Object.fromEntries(variables.map((v, i) => [String(i + 1), v])));
      return send({ From: `whatsapp:${TWILIO.number}`, To: `whatsapp:${to}`, ContentSid: sid ?? "HX_unknown", ContentVariables: values });
    },
    acceptedStatus: 201,
    messageId: (response) => response.json().sid,
    errorCode: (response) => response.json().code,
    statuses: (receiver, id) =>
      receiver.received
        .filter((r) => r.form?.MessageStatus && r.form.MessageSid === id)
        .map((r) => ({ status: r.form!.MessageStatus!, errorCode: r.form!.ErrorCode ? Number(r.form!.ErrorCode) : null, signedCorrectly: r.signedCorrectly })),
    windowClosedCode: 63016,
  };
}

function metaChannel(app: FastifyInstance): Channel {
  const send = (payload: Json) => app.inject({ method: "POST", url: `${GRAPH}/${META.phone_number_id}/messages`, headers: metaAuth, payload: { messaging_product: "whatsapp", ...payload } });
  return {
    provider: "meta",
    business: META.display_phone_number,
    sendText: (to, body) => send({ to: to.slice(1), type: "text", text: { body } }),
    sendTemplate: (to, name, variables) =>
      send({ to: to.slice(1), type: "template", template: { name, language: { code: "en" }, components: [{ type: "body", parameters: variables.map((text) => ({ type: "text", text })) }] } }),
    acceptedStatus: 200,
    messageId: (response) => response.json().messages[0].id,
    errorCode: (response) => response.json().error.code,
    statuses: (receiver, id) =>
      receiver.received
        .map((r) => ({ r, status: r.json?.entry?.[0]?.changes?.[0]?.value?.statuses?.[0] as Json | undefined }))
        .filter(({ status }) => status?.id === id)
        .map(({ r, status }) => ({ status: status!.status, errorCode: status!.errors?.[0]?.code ?? null, signedCorrectly: r.signedCorrectly })),
    windowClosedCode: 131047,
  };
}

interface Harness {
  app: FastifyInstance;
  receiver: Receiver;
  channels: Channel[];
  inbound(provider: "twilio" | "meta", from: string, text?: string, deliveries?: number): Promise<LightMyRequestResponse>;
  outbox(to: string): Promise<Json[]>;
  stats(): Promise<Json>;
  /** Waits for a message's statuses to reach `last`, then returns them all. */
  statusesUntil(channel: Channel, id: string, last: string): Promise<ReturnType<Channel["statuses"]>>;
}

async function withSimulator(run: (h: Harness) => Promise<void>): Promise<void> {
  const receiver = await startReceiver();
  const { app } = await buildSimulator({ parleyUrl: receiver.url });
  try {
    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { status_delay_ms: [1, 3] } } });
    for (const account of [TWILIO, META]) assert.equal((await app.inject({ method: "POST", url: "/_sim/whatsapp/accounts", payload: account })).statusCode, 200);
    const channels = [twilioChannel(app), metaChannel(app)];
    await run({
      app,
      receiver,
      channels,
      inbound: (provider, from, text = "Hello", deliveries = 1) =>
        app.inject({ method: "POST", url: "/_sim/whatsapp/inbound", payload: { provider, from, to: provider === "twilio" ? TWILIO.number : META.display_phone_number, text, deliveries, profile_name: "Ana" } }),
      outbox: async (to) => (await app.inject({ url: `/_sim/whatsapp/outbox?to=${encodeURIComponent(to)}` })).json().data,
      stats: async () => (await app.inject({ url: "/_sim/stats" })).json().whatsapp,
      statusesUntil: (channel, id, last) =>
        until(`${channel.provider} ${id} to reach ${last}`, () => {
          const statuses = channel.statuses(receiver, id);
          return statuses.at(-1)?.status === last ? statuses : undefined;
        }),
    });
  } finally {
    await app.close();
    await receiver.close();
  }
}

test("twilio: free text inside the window is a queued message resource, lands in the outbox, and its signed callbacks go sent, delivered, read to the StatusCallback URL", async () => {
  await withSimulator(async ({ app, receiver, channels: [twilio], inbound, outbox, statusesUntil }) => {
    const customer = "+447700900123";
    assert.equal((await inbound("twilio", customer)).statusCode, 200);
    const callback = `${receiver.url}/hooks/twilio-status?tenant=t1&note=a%20b`;
    const sent = await twilio!.sendText(customer, "Happy to help!", callback);
    assert.equal(sent.statusCode, 201);
    const message = sent.json();
    assert.match(message.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(message.account_sid, TWILIO.account_sid);
    assert.equal(message.from, `whatsapp:${TWILIO.number}`);
    assert.equal(message.to, `whatsapp:${customer}`);
    assert.equal(message.body, "Happy to help!");
    assert.equal(message.status, "queued");
    assert.equal(message.error_code, null);
    assert.equal(message.error_message, null);
    assert.match(message.date_created, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(message.uri, `/2010-04-01/Accounts/${TWILIO.account_sid}/Messages/${message.sid}.json`);

    const statuses = await statusesUntil(twilio!, message.sid, "read");
    assert.deepEqual(statuses.map((s) => [s.status, s.errorCode, s.signedCorrectly]), DELIVERED_READ);
    const callbacks = receiver.received.filter((r) => r.form?.MessageSid === message.sid);
    assert.deepEqual(callbacks.map((r) => r.path), Array(3).fill("/hooks/twilio-status"));
    assert.deepEqual(
      { AccountSid: callbacks[0]!.form!.AccountSid, From: callbacks[0]!.form!.From, To: callbacks[0]!.form!.To },
      { AccountSid: TWILIO.account_sid, From: `whatsapp:${TWILIO.number}`, To: `whatsapp:${customer}` },
    );

    const [entry, ...others] = await outbox(customer);
    assert.equal(others.length, 0);
    assert.deepEqual({ ...entry, created_at: undefined }, { provider: "twilio", id: message.sid, from: TWILIO.number, to: customer, kind: "text", text: "Happy to help!", template: null, status: "read", error_code: null, created_at: undefined });
    const fetched = await app.inject({ url: `/twilio/2010-04-01/Accounts/${TWILIO.account_sid}/Messages/${message.sid}.json`, headers: twilioAuth });
    assert.equal(fetched.statusCode, 200);
    assert.equal(fetched.json().status, "read");
    assert.notEqual(fetched.json().date_sent, null);
  });
});

test("meta: free text inside the window answers a wamid, lands in the outbox, and its signed status webhooks go sent, delivered, read", async () => {
  await withSimulator(async ({ receiver, channels: [, meta], inbound, outbox, statusesUntil }) => {
    const customer = "+447700900124";
    assert.equal((await inbound("meta", customer)).statusCode, 200);
    const sent = await meta!.sendText(customer, "Happy to help!");
    assert.equal(sent.statusCode, 200);
    const body = sent.json();
    assert.equal(body.messaging_product, "whatsapp");
    assert.deepEqual(body.contacts, [{ input: "447700900124", wa_id: "447700900124" }]);
    assert.match(body.messages[0].id, /^wamid\.[A-Za-z0-9+/=]+$/);

    const statuses = await statusesUntil(meta!, body.messages[0].id, "read");
    assert.deepEqual(statuses.map((s) => [s.status, s.errorCode, s.signedCorrectly]), DELIVERED_READ);
    const webhook = receiver.received.find((r) => r.json?.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === body.messages[0].id)!;
    assert.equal(webhook.path, "/webhooks/meta/whatsapp");
    assert.equal(webhook.json!.object, "whatsapp_business_account");
    assert.equal(webhook.json!.entry[0].id, META.business_account_id);
    const value = webhook.json!.entry[0].changes[0].value;
    assert.equal(webhook.json!.entry[0].changes[0].field, "messages");
    assert.deepEqual(value.metadata, { display_phone_number: "14155550199", phone_number_id: META.phone_number_id });
    assert.equal(value.statuses[0].recipient_id, "447700900124");
    assert.match(value.statuses[0].timestamp, /^\d{10}$/);

    const entries = await outbox(customer);
    assert.equal(entries.length, 1);
    assert.deepEqual([entries[0]!.provider, entries[0]!.id, entries[0]!.kind, entries[0]!.text, entries[0]!.status], ["meta", body.messages[0].id, "text", "Happy to help!", "read"]);
  });
});

test("0201: the send is refused as unsubscribed (Twilio 21610, Meta 131050), nothing is queued and it counts as rejected", async () => {
  await withSimulator(async ({ channels: [twilio, meta], outbox, stats }) => {
    const unsubscribed = "+447700900201";
    const byTwilio = await twilio!.sendTemplate(unsubscribed, "parley_followup", ["Ana"]);
    assert.equal(byTwilio.statusCode, 400);
    assert.deepEqual(byTwilio.json(), { code: 21610, message: "Attempt to send to unsubscribed recipient", more_info: "https://www.twilio.com/docs/errors/21610", status: 400 });
    const byMeta = await meta!.sendTemplate(unsubscribed, "parley_followup", ["Ana"]);
    assert.equal(byMeta.statusCode, 400);
    assert.equal(byMeta.json().error.code, 131050);
    assert.equal(byMeta.json().error.type, "OAuthException");
    assert.equal(byMeta.json().error.error_data.messaging_product, "whatsapp");
    assert.equal(typeof byMeta.json().error.fbtrace_id, "string");
    assert.deepEqual(await outbox(unsubscribed), []);
    assert.deepEqual(await stats(), { sent: 0, rejected_429: 0, rejected: 2, injected_failures: 0, webhooks_failed: 0 });
  });
});

test("0202: free text is accepted even inside the window, then fails with 63016 (Twilio) / 131047 (Meta)", async () => {
  await withSimulator(async ({ channels, inbound, outbox, statusesUntil }) => {
    const number = "+447700900202";
    for (const channel of channels) {
      assert.equal((await inbound(channel.provider, number)).statusCode, 200);
      const sent = await channel.sendText(number, "Are you there?");
      assert.equal(sent.statusCode, channel.acceptedStatus);
      const statuses = await statusesUntil(channel, channel.messageId(sent), "failed");
      assert.deepEqual(statuses.map((s) => [s.status, s.errorCode, s.signedCorrectly]), [["failed", channel.windowClosedCode, true]]);
    }
    assert.deepEqual((await outbox(number)).map((m) => [m.provider, m.status, m.error_code]), [["twilio", "failed", 63016], ["meta", "failed", 131047]]);
  });
});

test("0203: the message is accepted and never gets past sent", async () => {
  await withSimulator(async ({ channels, outbox, statusesUntil, receiver }) => {
    const number = "+447700900203";
    const ids: string[] = [];
    for (const channel of channels) {
      const sent = await channel.sendTemplate(number, "parley_followup", ["Ana"]);
      assert.equal(sent.statusCode, channel.acceptedStatus);
      ids.push(channel.messageId(sent));
      await statusesUntil(channel, ids.at(-1)!, "sent");
    }
    // Longer than the whole sent → delivered → read walk takes with these delays.
    await pause(150);
    channels.forEach((channel, i) => assert.deepEqual(channel.statuses(receiver, ids[i]!).map((s) => s.status), ["sent"]));
    assert.deepEqual((await outbox(number)).map((m) => m.status), ["sent", "sent"]);
  });
});

test("the 24-hour window: free text fails before the customer writes, goes through after, fails again 25 simulated hours later; templates always go", async () => {
  await withSimulator(async ({ app, channels, inbound, outbox, statusesUntil }) => {
    const customer = "+447700900555";
    const textEnds = async (channel: Channel, last: string, code: number | null) => {
      const sent = await channel.sendText(customer, "Following up");
      assert.equal(sent.statusCode, channel.acceptedStatus);
      const statuses = await statusesUntil(channel, channel.messageId(sent), last);
      assert.equal(statuses.at(-1)!.errorCode, code);
    };
    const templateIsRead = async (channel: Channel) => {
      const sent = await channel.sendTemplate(customer, "parley_followup", ["Ana"]);
      assert.equal(sent.statusCode, channel.acceptedStatus);
      await statusesUntil(channel, channel.messageId(sent), "read");
    };

    for (const channel of channels) {
      await textEnds(channel, "failed", channel.windowClosedCode);
      await templateIsRead(channel);
      assert.equal((await inbound(channel.provider, customer)).statusCode, 200);
      await textEnds(channel, "read", null);
    }
    const advanced = await app.inject({ method: "POST", url: "/_sim/whatsapp/clock", payload: { advance_ms: 25 * 60 * 60 * 1000 } });
    assert.equal(advanced.statusCode, 200);
    assert.equal(Date.parse(advanced.json().now) > Date.now() + 24 * 60 * 60 * 1000, true, "the simulated clock is a day ahead");
    for (const channel of channels) {
      await textEnds(channel, "failed", channel.windowClosedCode);
      await templateIsRead(channel);
    }

    const sent = await outbox(customer);
    assert.deepEqual(
      sent.map((m) => [m.provider, m.kind, m.status]),
      [
        ["twilio", "text", "failed"],
        ["twilio", "template", "read"],
        ["twilio", "text", "read"],
        ["meta", "text", "failed"],
        ["meta", "template", "read"],
        ["meta", "text", "read"],
        ["twilio", "text", "failed"],
        ["twilio", "template", "read"],
        ["meta", "text", "failed"],
        ["meta", "template", "read"],
      ],
    );
    const template = sent.find((m) => m.kind === "template")!;
    assert.equal(template.template, "parley_followup");
    assert.equal(template.text, "Hi Ana, sorry we missed you. Can we help by message?");
  });
});

test("rate limit: above whatsapp.rate_per_second in a rolling second a send is refused 429 (Twilio 20429, Meta 130429) and counted", async () => {
  await withSimulator(async ({ app, channels, stats }) => {
    const patched = await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { rate_per_second: 2 } } });
    assert.deepEqual(patched.json().whatsapp, { rate_per_second: 2, status_delay_ms: [1, 3], status_webhooks: true, fail_next: [], answer_delay_ms: 0, webhook_retry_ms: [50, 150, 450] });
    const number = "+447700900203";
    for (const channel of channels) {
      for (let n = 0; n < 2; n++) assert.equal((await channel.sendTemplate(number, "parley_followup", ["Ana"])).statusCode, channel.acceptedStatus);
      const refused = await channel.sendTemplate(number, "parley_followup", ["Ana"]);
      assert.equal(refused.statusCode, 429);
      assert.equal(channel.errorCode(refused), channel.provider === "twilio" ? 20429 : 130429);
    }
    const twilioRefusal = await channels[0]!.sendTemplate(number, "parley_followup", ["Ana"]);
    assert.deepEqual(twilioRefusal.json(), { code: 20429, message: "Too Many Requests", more_info: "https://www.twilio.com/docs/errors/20429", status: 429 });
    await app.inject({ method: "POST", url: "/_sim/whatsapp/clock", payload: { advance_ms: 1001 } });
    for (const channel of channels) assert.equal((await channel.sendTemplate(number, "parley_followup", ["Ana"])).statusCode, channel.acceptedStatus);
    assert.deepEqual(await stats(), { sent: 6, rejected_429: 3, rejected: 0, injected_failures: 0, webhooks_failed: 0 });
  });
});

test("meta: a send's biz_opaque_callback_data comes back on each of its status webhooks; over 512 characters is Graph error 100", async () => {
  await withSimulator(async ({ app, receiver, channels: [, meta], statusesUntil }) => {
    const send = (extra: Json) =>
      app.inject({
        method: "POST",
        url: `${GRAPH}/${META.phone_number_id}/messages`,
        headers: metaAuth,
        payload: { messaging_product: "whatsapp", to: "447700900301", type: "template", template: { name: "parley_followup", language: { code: "en" }, components: [{ type: "body", parameters: [{ type: "text", text: "Ana" }] }] }, ...extra },
      });
    const sent = await send({ biz_opaque_callback_data: "msg_ours_1" });
    assert.equal(sent.statusCode, 200);
    const id = meta!.messageId(sent);
    await statusesUntil(meta!, id, "read");
    const echoed = receiver.received.map((r) => r.json?.entry?.[0]?.changes?.[0]?.value?.statuses?.[0] as Json | undefined).filter((st) => st?.id === id);
    assert.deepEqual(echoed.map((st) => st!.biz_opaque_callback_data), ["msg_ours_1", "msg_ours_1", "msg_ours_1"]);
    const tooLong = await send({ biz_opaque_callback_data: "x".repeat(513) });
    assert.equal(tooLong.statusCode, 400);
    assert.equal(meta!.errorCode(tooLong), 100);
  });
});

test("fail_next refuses the next sends as 429 then 500 on either provider, in order, and counts them; answer_delay_ms answers late with the message already queued", async () => {
  await withSimulator(async ({ app, channels, stats }) => {
    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { fail_next: [429, 500, 500] } } });
    const number = "+447700900204";
    const [twilio, meta] = channels;
    const first = await twilio!.sendTemplate(number, "parley_followup", ["Ana"]);
    assert.equal(first.statusCode, 429);
    assert.equal(twilio!.errorCode(first), 20429);
    const second = await meta!.sendTemplate(number, "parley_followup", ["Ana"]);
    assert.equal(second.statusCode, 500);
    assert.equal(meta!.errorCode(second), 131000);
    const third = await twilio!.sendTemplate(number, "parley_followup", ["Ana"]);
    assert.equal(third.statusCode, 500);
    assert.equal(twilio!.errorCode(third), 20500);
    assert.equal((await twilio!.sendTemplate(number, "parley_followup", ["Ana"])).statusCode, twilio!.acceptedStatus);
    assert.deepEqual(await stats(), { sent: 1, rejected_429: 0, rejected: 0, injected_failures: 3, webhooks_failed: 0 });

    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { answer_delay_ms: 2000 } } });
    const outbox = async () => (await app.inject({ url: `/_sim/whatsapp/outbox?to=${encodeURIComponent(number)}` })).json().data.length;
    let settled = false;
    const answered = meta!.sendTemplate(number, "parley_followup", ["Ana"]).finally(() => (settled = true));
    while ((await outbox()) < 2) await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false, "the message was queued before the answer");
    assert.equal((await answered).statusCode, meta!.acceptedStatus);
  });
});

test("inbound with deliveries: 3 sends three byte-identical, correctly signed webhooks with one message id, and answers once they were attempted", async () => {
  await withSimulator(async ({ app, receiver, inbound }) => {
    const customer = "+447700900777";
    const twilio = await inbound("twilio", customer, "Is this still available?", 3);
    assert.equal(twilio.statusCode, 200);
    const twilioAnswer = twilio.json();
    assert.match(twilioAnswer.provider_message_id, /^SM[0-9a-f]{32}$/);
    assert.deepEqual(twilioAnswer.deliveries, [{ status_code: 200 }, { status_code: 200 }, { status_code: 200 }]);
    const twilioHooks = receiver.received.filter((r) => r.path === "/webhooks/twilio/whatsapp");
    assert.equal(twilioHooks.length, 3);
    assert.deepEqual(twilioHooks.map((r) => [r.signedCorrectly, r.raw, r.signature]), Array(3).fill([true, twilioHooks[0]!.raw, twilioHooks[0]!.signature]));
    assert.deepEqual(twilioHooks[0]!.form, {
      MessageSid: twilioAnswer.provider_message_id,
      SmsMessageSid: twilioAnswer.provider_message_id,
      SmsSid: twilioAnswer.provider_message_id,
      AccountSid: TWILIO.account_sid,
      From: `whatsapp:${customer}`,
      To: `whatsapp:${TWILIO.number}`,
      Body: "Is this still available?",
      NumMedia: "0",
      NumSegments: "1",
      MessageType: "text",
      ProfileName: "Ana",
      WaId: "447700900777",
      SmsStatus: "received",
      ApiVersion: "2010-04-01",
    });

    const meta = await inbound("meta", customer, "Is this still available?", 3);
    const metaAnswer = meta.json();
    assert.match(metaAnswer.provider_message_id, /^wamid\./);
    assert.deepEqual(metaAnswer.deliveries, [{ status_code: 200 }, { status_code: 200 }, { status_code: 200 }]);
    const metaHooks = receiver.received.filter((r) => r.path === "/webhooks/meta/whatsapp");
    assert.equal(metaHooks.length, 3);
    assert.deepEqual(metaHooks.map((r) => [r.signedCorrectly, r.raw, r.signature]), Array(3).fill([true, metaHooks[0]!.raw, metaHooks[0]!.signature]));
    const value = metaHooks[0]!.json!.entry[0].changes[0].value;
    assert.deepEqual(value.contacts, [{ profile: { name: "Ana" }, wa_id: "447700900777" }]);
    assert.equal(value.messages.length, 1);
    assert.deepEqual({ ...value.messages[0], timestamp: undefined }, { from: "447700900777", id: metaAnswer.provider_message_id, timestamp: undefined, type: "text", text: { body: "Is this still available?" } });

    const nobody = await app.inject({ method: "POST", url: "/_sim/whatsapp/inbound", payload: { provider: "meta", from: customer, to: "+14155550000", text: "Hi" } });
    assert.equal(nobody.statusCode, 404);
    assert.equal(nobody.headers["content-type"], "application/problem+json; charset=utf-8");
  });
});

test("a failed webhook delivery is retried with backoff until it succeeds, and every failed attempt is counted", async () => {
  await withSimulator(async ({ app, receiver, inbound, stats }) => {
    receiver.state.failNext = 2;
    const answer = (await inbound("twilio", "+447700900888")).json();
    assert.deepEqual(answer.deliveries, [{ status_code: 200 }]);
    const attempts = (await app.inject({ url: "/_sim/whatsapp/webhooks" })).json().data as Json[];
    assert.deepEqual(
      attempts.map((a) => [a.kind, a.message_id, a.attempt, a.status_code]),
      [
        ["inbound", answer.provider_message_id, 1, 500],
        ["inbound", answer.provider_message_id, 2, 500],
        ["inbound", answer.provider_message_id, 3, 200],
      ],
    );
    assert.equal(attempts[0]!.url, `${receiver.url}/webhooks/twilio/whatsapp`);
    assert.equal((await stats()).webhooks_failed, 2);

    // whatsapp.webhook_retry_ms sets the gaps: one gap, one retry, then it gives up.
    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { webhook_retry_ms: [10] } } });
    receiver.state.failNext = 5;
    const refused = (await inbound("twilio", "+447700900889")).json();
    assert.deepEqual(refused.deliveries, [{ status_code: 500 }]);
    const retried = ((await app.inject({ url: "/_sim/whatsapp/webhooks" })).json().data as Json[]).filter((a) => a.message_id === refused.provider_message_id);
    assert.deepEqual(retried.map((a) => [a.attempt, a.status_code]), [[1, 500], [2, 500]]);
  });
});

test("credentials: a send without them is 401 in each provider's shape, a Twilio path sid must match the user, an unknown Meta phone number id is Graph error 100", async () => {
  await withSimulator(async ({ app }) => {
    const form = new URLSearchParams({ From: `whatsapp:${TWILIO.number}`, To: "whatsapp:+447700900123", Body: "Hi" }).toString();
    const formType = { "content-type": "application/x-www-form-urlencoded" };
    const anonymous = await app.inject({ method: "POST", url: TWILIO_MESSAGES, headers: formType, payload: form });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(anonymous.json(), { code: 20003, message: "Authenticate", more_info: "https://www.twilio.com/docs/errors/20003", status: 401 });
    const otherAccount = await app.inject({ method: "POST", url: TWILIO_MESSAGES, headers: { ...formType, authorization: basic(`AC${"b2".repeat(16)}`, "token") }, payload: form });
    assert.equal(otherAccount.statusCode, 401);
    assert.equal((await app.inject({ url: "/twilio/content/v1/ContentAndApprovals" })).statusCode, 401);

    const payload = { messaging_product: "whatsapp", to: "447700900123", type: "text", text: { body: "Hi" } };
    const noToken = await app.inject({ method: "POST", url: `${GRAPH}/${META.phone_number_id}/messages`, payload });
    assert.equal(noToken.statusCode, 401);
    assert.equal(noToken.json().error.type, "OAuthException");
    assert.equal(typeof noToken.json().error.code, "number");
    const unknownNumber = await app.inject({ method: "POST", url: `${GRAPH}/999/messages`, headers: metaAuth, payload });
    assert.equal(unknownNumber.statusCode, 400);
    assert.equal(unknownNumber.json().error.code, 100);
    assert.match(unknownNumber.json().error.message, /^Unsupported post request\. Object with ID '999' does not exist/);
    assert.equal((await app.inject({ url: "/_sim/whatsapp/outbox" })).json().data.length, 0);
  });
});

test("templates: each account lists the two starter templates and seeded ones; unapproved and unknown templates are refused", async () => {
  await withSimulator(async ({ app, channels: [twilio, meta], stats }) => {
    const seed = (provider: string, account: string, status: string) =>
      app.inject({ method: "POST", url: "/_sim/whatsapp/templates", payload: { provider, account, name: "parley_offer", language: "en", category: "MARKETING", status, body: "{{1}}, {{2}} is 20% off this week." } });
    assert.equal((await seed("twilio", TWILIO.account_sid, "pending")).statusCode, 200);
    assert.equal((await seed("meta", META.phone_number_id, "rejected")).statusCode, 200);
    assert.equal((await seed("meta", "no-such-account", "approved")).statusCode, 404);

    const listed = await app.inject({ url: "/twilio/content/v1/ContentAndApprovals", headers: twilioAuth });
    assert.equal(listed.statusCode, 200);
    const { contents, meta: page } = listed.json();
    assert.equal(page.next_page_url, null);
    assert.deepEqual(
      contents.map((c: Json) => [c.friendly_name, c.language, c.approval_requests.category, c.approval_requests.status, c.types["twilio/text"].body]),
      [
        ["parley_followup", "en", "utility", "approved", "Hi {{1}}, sorry we missed you. Can we help by message?"],
        ["parley_hello", "en", "marketing", "approved", "Hi {{1}}, thanks for your interest in {{2}}."],
        ["parley_offer", "en", "marketing", "pending", "{{1}}, {{2}} is 20% off this week."],
      ],
    );
    for (const content of contents) assert.match(content.sid, /^HX[0-9a-f]{32}$/);
    assert.deepEqual(Object.keys(contents[1].variables), ["1", "2"]);
    assert.equal(contents[0].approval_requests.name, "parley_followup");

    const graph = await app.inject({ url: `${GRAPH}/${META.business_account_id}/message_templates`, headers: metaAuth });
    assert.equal(graph.statusCode, 200);
    assert.deepEqual(
      graph.json().data.map((t: Json) => [t.name, t.language, t.status, t.category, t.components]),
      [
        ["parley_followup", "en", "APPROVED", "UTILITY", [{ type: "BODY", text: "Hi {{1}}, sorry we missed you. Can we help by message?" }]],
        ["parley_hello", "en", "APPROVED", "MARKETING", [{ type: "BODY", text: "Hi {{1}}, thanks for your interest in {{2}}." }]],
        ["parley_offer", "en", "REJECTED", "MARKETING", [{ type: "BODY", text: "{{1}}, {{2}} is 20% off this week." }]],
      ],
    );
    for (const template of graph.json().data) assert.match(template.id, /^\d+$/);
    assert.equal((await app.inject({ url: `${GRAPH}/${META.business_account_id}/message_templates` })).statusCode, 401);

    const customer = "+447700900123";
    const pendingByTwilio = await twilio!.sendTemplate(customer, "parley_offer", ["Ana", "Solar"]);
    assert.equal(pendingByTwilio.statusCode, 400);
    assert.equal(pendingByTwilio.json().code, 63041);
    const unknownByTwilio = await twilio!.sendTemplate(customer, "no_such_template", []);
    assert.equal(unknownByTwilio.statusCode, 400);
    assert.deepEqual(unknownByTwilio.json(), { code: 21655, message: "The ContentSid is invalid", more_info: "https://www.twilio.com/docs/errors/21655", status: 400 });
    for (const name of ["parley_offer", "no_such_template"]) {
      const byMeta = await meta!.sendTemplate(customer, name, ["Ana"]);
      assert.equal(byMeta.statusCode, 400);
      assert.equal(byMeta.json().error.code, 132001);
    }
    const approved = await meta!.sendTemplate(customer, "parley_hello", ["Ana", "solar panels"]);
    assert.equal(approved.statusCode, 200);
    const outbox = (await app.inject({ url: `/_sim/whatsapp/outbox?to=${encodeURIComponent(customer)}` })).json().data as Json[];
    assert.deepEqual(outbox.map((m) => [m.template, m.text]), [["parley_hello", "Hi Ana, thanks for your interest in solar panels."]]);
    assert.deepEqual(await stats(), { sent: 1, rejected_429: 0, rejected: 4, injected_failures: 0, webhooks_failed: 0 });
  });
});

test("reset forgets WhatsApp accounts, messages, windows, webhook attempts, counters and config; a Twilio send registers its sender again", async () => {
  await withSimulator(async ({ app, receiver, channels: [twilio, meta], inbound, stats, statusesUntil }) => {
    const customer = "+447700900123";
    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { rate_per_second: 5 } } });
    assert.equal((await inbound("twilio", customer)).statusCode, 200);
    const before = await twilio!.sendText(customer, "Hi");
    await statusesUntil(twilio!, twilio!.messageId(before), "read");
    assert.equal((await app.inject({ url: "/_sim/whatsapp/accounts" })).json().data.length, 2);

    assert.equal((await app.inject({ method: "POST", url: "/_sim/reset" })).statusCode, 200);
    assert.deepEqual((await app.inject({ url: "/_sim/whatsapp/accounts" })).json().data, []);
    assert.deepEqual((await app.inject({ url: "/_sim/whatsapp/outbox" })).json().data, []);
    assert.deepEqual((await app.inject({ url: "/_sim/whatsapp/webhooks" })).json().data, []);
    assert.deepEqual(await stats(), { sent: 0, rejected_429: 0, rejected: 0, injected_failures: 0, webhooks_failed: 0 });
    assert.deepEqual((await app.inject({ url: "/_sim/config" })).json().whatsapp, { rate_per_second: 80, status_delay_ms: [20, 80], status_webhooks: true, fail_next: [], answer_delay_ms: 0, webhook_retry_ms: [50, 150, 450] });
    assert.equal((await inbound("twilio", customer)).statusCode, 404);
    assert.equal(meta!.errorCode(await meta!.sendText(customer, "Hi")), 100);

    // The send's Basic credentials and From make the account known again, with no window for the customer.
    const after = await twilio!.sendText(customer, "Hi again");
    assert.equal(after.statusCode, 201);
    assert.deepEqual((await app.inject({ url: "/_sim/whatsapp/accounts" })).json().data, [{ provider: "twilio", account_sid: TWILIO.account_sid, number: TWILIO.number }]);
    const statuses = await statusesUntil(twilio!, twilio!.messageId(after), "failed");
    assert.deepEqual(statuses.map((s) => [s.status, s.errorCode, s.signedCorrectly]), [["failed", 63016, true]]);
    assert.equal((await inbound("twilio", customer)).statusCode, 200);
    assert.equal(receiver.received.at(-1)!.signedCorrectly, true);
  });
});

test("status_webhooks: false lets statuses advance in the outbox without sending their webhooks (load tests)", async () => {
  await withSimulator(async ({ app, receiver, channels: [twilio], inbound, outbox }) => {
    const customer = "+447700900555";
    assert.equal((await inbound("twilio", customer)).statusCode, 200);
    await app.inject({ method: "POST", url: "/_sim/config", payload: { whatsapp: { status_webhooks: false } } });
    const sent = await twilio!.sendText(customer, "Quiet, please");
    assert.equal(sent.statusCode, 201);
    for (let i = 0; i < 100 && (await outbox(customer))[0]?.status !== "read"; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await outbox(customer))[0]?.status, "read");
    assert.equal(receiver.received.filter((r) => r.form?.MessageSid === sent.json().sid).length, 0);
  });
});
