// The Meta Cloud API adapter against a fake Graph API: the JSON it posts, the templates it pages
// through, and every refusal mapped to a reason.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { MessagingProviderError } from "./errors";
import { createMessagingProvider } from "./factory";
import { json, startFakeServer, type FakeServer } from "./fake-server";
import type { MessagingProvider } from "./port";

let fake: FakeServer;
before(async () => {
  fake = await startFakeServer();
});
after(() => fake.close());

function provider(options: { timeoutMs?: number; businessAccountId?: string; baseUrl?: string } = {}, fetchImpl?: typeof fetch): MessagingProvider {
  return createMessagingProvider(
    { kind: "meta", accessToken: "EAAG-token", phoneNumberId: "106540352242922", businessAccountId: options.businessAccountId, baseUrl: options.baseUrl ?? `${fake.url}/meta`, timeoutMs: options.timeoutMs ?? 2000 },
    fetchImpl,
  );
}

const sent = (res: ServerResponse) =>
  json(res, 200, { messaging_product: "whatsapp", contacts: [{ input: "14155550123", wa_id: "14155550123" }], messages: [{ id: "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI" }] });

test("a text is posted as JSON to /{phone-number-id}/messages with Bearer auth, `to` in digits and callback data, through the injected fetch", async () => {
  fake.answer((_req, res) => sent(res));
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls += 1;
    return fetch(input, init);
  };
  const result = await provider({}, counting).send({ kind: "text", to: "+14155550123", text: "Hello Ada", statusCallbackUrl: "https://ignored.example", callbackData: "msg_01" });

  assert.deepEqual(result, { providerMessageId: "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI", status: "queued" });
  assert.equal(calls, 1);
  const [req] = fake.requests;
  assert.equal(req?.method, "POST");
  assert.equal(req?.path, "/meta/106540352242922/messages");
  assert.equal(req?.headers.authorization, "Bearer EAAG-token");
  assert.equal(req?.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(req?.body ?? ""), { messaging_product: "whatsapp", to: "14155550123", biz_opaque_callback_data: "msg_01", type: "text", text: { body: "Hello Ada" } });
});

test("a template carries its name, language code and positional body parameters; none without variables", async () => {
  fake.answer((_req, res) => sent(res));
  const p = provider();
  await p.send({ kind: "template", to: "+14155550123", template: { name: "follow_up", language: "en_US", variables: ["Ada", "Tuesday"] } });
  assert.deepEqual(JSON.parse(fake.requests[0]?.body ?? ""), {
    messaging_product: "whatsapp",
    to: "14155550123",
    type: "template",
    template: {
      name: "follow_up",
      language: { code: "en_US" },
      components: [{ type: "body", parameters: [{ type: "text", text: "Ada" }, { type: "text", text: "Tuesday" }] }],
    },
  });

  fake.answer((_req, res) => sent(res));
  await p.send({ kind: "template", to: "+14155550123", template: { name: "hello_world", language: "en_US", variables: [] } });
  assert.deepEqual(JSON.parse(fake.requests[0]?.body ?? ""), { messaging_product: "whatsapp", to: "14155550123", type: "template", template: { name: "hello_world", language: { code: "en_US" } } });
});

test("an answer without a message id is a rejection, not a silent success", async () => {
  fake.answer((_req, res) => json(res, 200, { messaging_product: "whatsapp", messages: [] }));
  await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => err instanceof MessagingProviderError && err.reason === "rejected" && err.code === "no_message_id");
});

test("templates are read from /{waba-id}/message_templates?limit=100, following paging.next", async () => {
  fake.answer((req, res) => {
    if (req.query.get("after") === "QVFIUk") {
      json(res, 200, { data: [{ id: "2002", name: "winback", language: "es", status: "PAUSED", category: "MARKETING", components: [{ type: "BODY", text: "Hola" }] }], paging: { cursors: { before: "QVFIUk", after: "QVFIUl" } } });
      return;
    }
    json(res, 200, {
      data: [
        {
          id: "2001",
          name: "follow_up",
          language: "en_US",
          status: "APPROVED",
          category: "UTILITY",
          components: [
            { type: "HEADER", format: "TEXT", text: "Reminder" },
            { type: "BODY", text: "Hi {{1}}, still on for {{2}}? Reply {{1}}." },
          ],
        },
      ],
      paging: { cursors: { before: "QVFIUj", after: "QVFIUk" }, next: `${fake.url}/meta/102290129340398/message_templates?limit=100&after=QVFIUk` },
    });
  });

  const templates = await provider({ businessAccountId: "102290129340398" }).listTemplates();
  assert.deepEqual(
    fake.requests.map((r) => [r.method, r.path, r.query.get("limit"), r.headers.authorization]),
    [
      ["GET", "/meta/102290129340398/message_templates", "100", "Bearer EAAG-token"],
      ["GET", "/meta/102290129340398/message_templates", "100", "Bearer EAAG-token"],
    ],
  );
  assert.deepEqual(templates, [
    { providerTemplateId: "2001", name: "follow_up", language: "en_US", category: "UTILITY", status: "APPROVED", body: "Hi {{1}}, still on for {{2}}? Reply {{1}}.", variableCount: 2 },
    { providerTemplateId: "2002", name: "winback", language: "es", category: "MARKETING", status: "PAUSED", body: "Hola", variableCount: 0 },
  ]);
});

test("listing templates without a business account id is refused with a clear message and no request", async () => {
  fake.answer((_req, res) => json(res, 200, { data: [] }));
  await assert.rejects(provider().listTemplates(), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["rejected", "business_account_id_missing", false]);
    assert.match(err.message, /business_account_id/);
    return true;
  });
  assert.equal(fake.requests.length, 0);
});

const refusals: { status: number; code?: number; reason: string; retryable: boolean }[] = [
  { status: 400, code: 131047, reason: "window_closed", retryable: false },
  { status: 400, code: 131050, reason: "unsubscribed", retryable: false },
  { status: 429, code: 130429, reason: "rate_limited", retryable: true },
  { status: 400, code: 131056, reason: "rate_limited", retryable: true },
  { status: 400, code: 131026, reason: "invalid_recipient", retryable: false },
  { status: 400, code: 131009, reason: "invalid_recipient", retryable: false },
  { status: 400, code: 132000, reason: "template_invalid", retryable: false },
  { status: 400, code: 132015, reason: "template_invalid", retryable: false },
  { status: 401, code: 190, reason: "auth", retryable: false },
  { status: 500, code: 131000, reason: "unavailable", retryable: true },
  { status: 400, code: 100, reason: "rejected", retryable: false },
];

for (const refusal of refusals) {
  test(`HTTP ${refusal.status} Graph code ${refusal.code} is ${refusal.reason}${refusal.retryable ? ", retryable" : ""}`, async () => {
    fake.answer((_req, res) =>
      json(res, refusal.status, {
        error: { message: `(#${refusal.code}) refused`, type: "OAuthException", code: refusal.code, error_data: { messaging_product: "whatsapp", details: "the details" }, fbtrace_id: "AbC" },
      }),
    );
    await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
      assert.ok(err instanceof MessagingProviderError, String(err));
      assert.equal(err.provider, "meta");
      assert.equal(err.reason, refusal.reason);
      assert.equal(err.retryable, refusal.retryable);
      assert.equal(err.code, String(refusal.code));
      assert.equal(err.httpStatus, refusal.status);
      assert.equal(err.message, `meta: (#${refusal.code}) refused: the details`);
      return true;
    });
  });
}

test("without a Graph code the HTTP status decides: 429 with Retry-After, 401, and a 502 page", async () => {
  fake.answer((_req, res) => res.writeHead(429, { "retry-after": "7" }).end());
  await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable, err.retryAfterMs], ["rate_limited", "http_429", true, 7000]);
    return true;
  });
  fake.answer((_req, res) => json(res, 401, { error: { message: "Invalid OAuth access token." } }));
  await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => err instanceof MessagingProviderError && err.reason === "auth" && !err.retryable);
  fake.answer((_req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>Bad Gateway</html>"));
  await assert.rejects(provider().send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["unavailable", "http_502", true]);
    assert.match(err.message, /Bad Gateway/);
    return true;
  });
});

// The test deadline turns a missing timeout into a failure rather than a hang.
test("a Graph API that never answers times out as unavailable, and so does one that is not listening", { timeout: 5000 }, async () => {
  fake.answer(() => undefined);
  const started = Date.now();
  await assert.rejects(provider({ timeoutMs: 150 }).send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["unavailable", "timeout", true]);
    return true;
  });
  assert.ok(Date.now() - started < 1500, "the timeout applies");

  const gone = await startFakeServer();
  await gone.close();
  await assert.rejects(provider({ baseUrl: gone.url }).send({ kind: "text", to: "+14155550123", text: "hi" }), (err: unknown) => {
    assert.ok(err instanceof MessagingProviderError, String(err));
    assert.deepEqual([err.reason, err.code, err.retryable], ["unavailable", "ECONNREFUSED", true]);
    return true;
  });
});
