// The Twilio adapter through the official SDK against a fake Twilio: the wire format the SDK sends
// to the rewritten base URL, and every refusal mapped to a reason.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { MessagingProviderError } from "./errors";
import { createMessagingProvider } from "./factory";
import { json, startFakeServer, type FakeServer } from "./fake-server";
import type { MessagingProvider } from "./port";
import { rewriteTwilioUrl } from "./twilio-http";

const ACCOUNT_SID = `AC${"a1".repeat(16)}`;
const AUTH_TOKEN = "twilio-token";
const BASIC = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
const MESSAGES_PATH = `/twilio/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;

let fake: FakeServer;
before(async () => {
  fake = await startFakeServer();
});
after(() => fake.close());

function provider(timeoutMs = 2000, baseUrl = `${fake.url}/twilio`): MessagingProvider {
  return createMessagingProvider({ kind: "twilio", accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: "+14155550100", baseUrl, timeoutMs });
}

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

test("a text is posted as a form to the rewritten Messages.json path with Basic auth and whatsapp: addresses (callback data rides in the URL)", async () => {
  fake.answer((_req, res) => json(res, 201, { sid: "SM0001", status: "queued", error_code: null }));
  const result = await provider().send({ kind: "text", to: "+14155550123", text: "Hello Ada", statusCallbackUrl: "https://parley.example/webhooks/twilio/status", callbackData: "msg_01" });

  assert.deepEqual(result, { providerMessageId: "SM0001", status: "queued" });
  assert.equal(fake.requests.length, 1);
  const [req] = fake.requests;
  assert.equal(req?.method, "POST");
  assert.equal(req?.path, MESSAGES_PATH);
  assert.equal(req?.headers.authorization, BASIC);
  assert.match(String(req?.headers["content-type"]), /^application\/x-www-form-urlencoded/);
  assert.deepEqual(form(req?.body ?? ""), {
    From: "whatsapp:+14155550100",
    To: "whatsapp:+14155550123",
    Body: "Hello Ada",
    StatusCallback: "https://parley.example/webhooks/twilio/status",
  });
});

test("a template is sent by ContentSid with ContentVariables as a JSON string keyed 1..n, and no Body", async () => {
  fake.answer((_req, res) => json(res, 201, { sid: "SM0002", status: "accepted" }));
  const p = provider();
  const result = await p.send({ kind: "template", to: "+14155550123", template: { name: "follow_up", language: "en", providerTemplateId: "HX0123", variables: ["Ada", "Tuesday"] } });
  assert.deepEqual(result, { providerMessageId: "SM0002", status: "queued" });
  const fields = form(fake.requests[0]?.body ?? "");
  assert.deepEqual(fields, { From: "whatsapp:+14155550100", To: "whatsapp:+14155550123", ContentSid: "HX0123", ContentVariables: '{"1":"Ada","2":"Tuesday"}' });
  assert.deepEqual(JSON.parse(fields.ContentVariables ?? ""), { 1: "Ada", 2: "Tuesday" });

  fake.answer((_req, res) => json(res, 201, { sid: "SM0003", status: "queued" }));
  await p.send({ kind: "template", to: "+14155550123", template: { name: "hello", language: "en", providerTemplateId: "HX0456", variables: [] } });
  assert.deepEqual(form(fake.requests[0]?.body ?? ""), { From: "whatsapp:+14155550100", To: "whatsapp:+14155550123", ContentSid: "HX0456" });
});

test("a template without a ContentSid is refused as template_invalid before anything is sent", async () => {
  fake.answer((_req, res) => json(res, 201, { sid: "SM_never", status: "queued" }));
  await assert.rejects(provider().send({ kind: "template", to: "+14155550123", template: { name: "follow_up", language: "en", variables: ["Ada"] } }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.equal(err.reason, "template_invalid");
    assert.equal(err.retryable, false);
    assert.match(err.message, /follow_up/);
    return true;
  });
  assert.equal(fake.requests.length, 0);
});

test("templates come from /content/v1/ContentAndApprovals, following next_page_url through the rewrite", async () => {
  fake.answer((req, res) => {
    if (req.query.get("PageToken") === "PT2") {
      json(res, 200, {
        contents: [
          {
            sid: "HX0002",
            friendly_name: "promo_card",
            language: "es",
            variables: {},
            types: { "twilio/card": { title: "Oferta", body: "Hasta el viernes" } },
            approval_requests: { name: "promo_card", category: "TRANSACTIONAL", status: "unsubmitted", rejection_reason: "" },
          },
        ],
        meta: { page: 1, page_size: 100, next_page_url: null, key: "contents" },
      });
      return;
    }
    json(res, 200, {
      contents: [
        {
          sid: "HX0001",
          account_sid: ACCOUNT_SID,
          friendly_name: "follow_up",
          language: "en",
          variables: { 1: "name", 2: "day" },
          types: { "twilio/quick-reply": { body: "ignored" }, "twilio/text": { body: "Hi {{1}}, still on for {{2}}?" } },
          approval_requests: { name: "follow_up", category: "utility", content_type: "twilio/text", status: "approved", rejection_reason: "", allow_category_change: true },
        },
      ],
      meta: { page: 0, page_size: 100, next_page_url: "https://content.twilio.com/v1/ContentAndApprovals?PageSize=100&Page=1&PageToken=PT2", key: "contents" },
    });
  });

  const templates = await provider().listTemplates();
  assert.deepEqual(
    fake.requests.map((r) => [r.method, r.path, r.query.get("PageSize"), r.headers.authorization]),
    [
      ["GET", "/twilio/content/v1/ContentAndApprovals", "100", BASIC],
      ["GET", "/twilio/content/v1/ContentAndApprovals", "100", BASIC],
    ],
  );
  assert.deepEqual(templates, [
    { providerTemplateId: "HX0001", name: "follow_up", language: "en", category: "UTILITY", status: "APPROVED", body: "Hi {{1}}, still on for {{2}}?", variableCount: 2 },
    { providerTemplateId: "HX0002", name: "promo_card", language: "es", category: "MARKETING", status: "PENDING", body: "Hasta el viernes", variableCount: 0 },
  ]);
});

const refusals: { status: number; code?: number; reason: string; retryable: boolean }[] = [
  { status: 400, code: 63016, reason: "window_closed", retryable: false },
  { status: 400, code: 21610, reason: "unsubscribed", retryable: false },
  { status: 429, code: 20429, reason: "rate_limited", retryable: true },
  { status: 400, code: 63018, reason: "rate_limited", retryable: true },
  { status: 400, code: 21211, reason: "invalid_recipient", retryable: false },
  { status: 400, code: 63024, reason: "invalid_recipient", retryable: false },
  { status: 400, code: 21614, reason: "invalid_recipient", retryable: false },
  { status: 400, code: 21655, reason: "template_invalid", retryable: false },
  { status: 400, code: 21656, reason: "template_invalid", retryable: false },
  { status: 400, code: 63041, reason: "template_invalid", retryable: false },
  { status: 401, code: 20003, reason: "auth", retryable: false },
  { status: 429, reason: "rate_limited", retryable: true },
  { status: 401, reason: "auth", retryable: false },
  { status: 503, reason: "unavailable", retryable: true },
  { status: 400, code: 21999, reason: "rejected", retryable: false },
];

for (const refusal of refusals) {
  test(`HTTP ${refusal.status}${refusal.code ? ` code ${refusal.code}` : ""} is ${refusal.reason}${refusal.retryable ? ", retryable" : ""}, and is not retried by the SDK`, async () => {
    fake.answer((_req, res) =>
      json(res, refusal.status, refusal.code ? { code: refusal.code, message: `refused with ${refusal.code}`, more_info: `https://www.twilio.com/docs/errors/${refusal.code}`, status: refusal.status } : { message: "refused" }),
    );
    await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
      assert.ok(err instanceof MessagingProviderError, String(err));
      assert.equal(err.provider, "twilio");
      assert.equal(err.reason, refusal.reason);
      assert.equal(err.retryable, refusal.retryable);
      assert.equal(err.httpStatus, refusal.status);
      assert.equal(err.code, refusal.code ? String(refusal.code) : `http_${refusal.status}`);
      assert.match(err.message, refusal.code ? new RegExp(`refused with ${refusal.code}`) : /refused/);
      return true;
    });
    assert.equal(fake.requests.length, 1);
  });
}

test("a 500 with an HTML page is unavailable and retryable", async () => {
  fake.answer((_req, res) => res.writeHead(500, { "content-type": "text/html" }).end("<html>oops</html>"));
  await assert.rejects(provider().listTemplates(), (err: unknown) => err instanceof MessagingProviderError && err.reason === "unavailable" && err.retryable && err.code === "http_500" && err.httpStatus === 500);
});

// The test deadline turns a missing timeout into a failure rather than a hang.
test("a Twilio that never answers times out as unavailable, and so does one that is not listening", { timeout: 5000 }, async () => {
  fake.answer(() => undefined);
  const started = Date.now();
  await assert.rejects(provider(150).send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["unavailable", "timeout", true]);
    return true;
  });
  assert.ok(Date.now() - started < 1500, "the timeout applies");

  const gone = await startFakeServer();
  await gone.close();
  await assert.rejects(provider(500, `${gone.url}/twilio`).send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["unavailable", "ECONNREFUSED", true]);
    return true;
  });
});

test("only Twilio's own hosts are rewritten, regional ones included; the query survives", () => {
  const base = "http://127.0.0.1:8090/twilio/";
  assert.equal(rewriteTwilioUrl(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, base), `http://127.0.0.1:8090/twilio/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
  assert.equal(rewriteTwilioUrl("https://content.twilio.com/v1/ContentAndApprovals?PageSize=100", base), "http://127.0.0.1:8090/twilio/content/v1/ContentAndApprovals?PageSize=100");
  assert.equal(rewriteTwilioUrl("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts", base), "http://127.0.0.1:8090/twilio/2010-04-01/Accounts");
  assert.equal(rewriteTwilioUrl("http://127.0.0.1:8090/twilio/content/v1/ContentAndApprovals?Page=1", base), "http://127.0.0.1:8090/twilio/content/v1/ContentAndApprovals?Page=1");
  assert.equal(rewriteTwilioUrl("https://twilio.com.evil.example/x", base), "https://twilio.com.evil.example/x");
});
