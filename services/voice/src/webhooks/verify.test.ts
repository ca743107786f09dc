import { test } from "node:test";
import assert from "node:assert/strict";
import { hmacHex, verifyBolna, verifyRetell, verifyVapi } from "./verify";

const body = Buffer.from('{"message":{"type":"status-update","status":"ringing"}}');

test("vapi: the HMAC of the exact bytes, or the legacy secret; anything else is refused", () => {
  assert.deepEqual(verifyVapi(body, { "x-vapi-signature": hmacHex("s3cret", body) }, "s3cret"), { valid: true });
  assert.equal(verifyVapi(body, { "x-vapi-signature": hmacHex("other", body) }, "s3cret").valid, false);
  assert.equal(verifyVapi(Buffer.from(body.toString().replace("ringing", "ended")), { "x-vapi-signature": hmacHex("s3cret", body) }, "s3cret").valid, false, "a changed body");
  assert.deepEqual(verifyVapi(body, { "x-vapi-secret": "s3cret" }, "s3cret"), { valid: true });
  assert.equal(verifyVapi(body, { "x-vapi-secret": "s3cre" }, "s3cret").valid, false);
  assert.equal(verifyVapi(body, {}, "s3cret").valid, false);
});

test("retell: HMAC over body then timestamp, fresh within 5 minutes", () => {
  const now = 1_800_000_000_000;
  const sign = (v: number, key = "key_retell") => `v=${v},d=${hmacHex(key, body, String(v))}`;
  assert.deepEqual(verifyRetell(body, { "x-retell-signature": sign(now - 1000) }, "key_retell", now), { valid: true });
  assert.match((verifyRetell(body, { "x-retell-signature": sign(now - 6 * 60_000) }, "key_retell", now) as { reason: string }).reason, /stale/);
  assert.equal(verifyRetell(body, { "x-retell-signature": sign(now, "other") }, "key_retell", now).valid, false);
  assert.equal(verifyRetell(body, { "x-retell-signature": "garbage" }, "key_retell", now).valid, false);
});

test("bolna: the URL token must equal the workspace's webhook secret", () => {
  assert.deepEqual(verifyBolna({ token: "tok_123" }, "tok_123"), { valid: true });
  assert.equal(verifyBolna({ token: "tok_124" }, "tok_123").valid, false);
  assert.equal(verifyBolna({}, "tok_123").valid, false);
  assert.equal(verifyBolna({ token: "x" }, undefined).valid, false);
});
