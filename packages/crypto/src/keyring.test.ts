import { test } from "node:test";
import assert from "node:assert/strict";
import { Keyring, KeyringError, UnsealError } from "./index";

const k1 = Keyring.generateEntry("k1");
const k2 = Keyring.generateEntry("k2");

test("seals and opens; the ciphertext reveals nothing of the plaintext and differs every time", () => {
  const ring = Keyring.parse(k1);
  const a = ring.seal('{"api_key":"sk-live-123"}', "ws_1/vapi");
  const b = ring.seal('{"api_key":"sk-live-123"}', "ws_1/vapi");
  assert.notEqual(a, b);
  assert.ok(!a.includes("sk-live"));
  assert.equal(Keyring.keyIdOf(a), "k1");
  assert.equal(ring.open(a, "ws_1/vapi"), '{"api_key":"sk-live-123"}');
});

test("tampering, another context or an unknown key fail to open", () => {
  const ring = Keyring.parse(k1);
  const sealed = ring.seal("secret", "ws_1/vapi");
  const parts = sealed.split(".");
  const flipped = [...parts.slice(0, 4), Buffer.from("secreT").toString("base64url")].join(".");
  assert.throws(() => ring.open(flipped, "ws_1/vapi"), UnsealError);
  assert.throws(() => ring.open(sealed, "ws_2/vapi"), UnsealError);
  assert.throws(() => Keyring.parse(k2).open(sealed, "ws_1/vapi"), (err: unknown) => err instanceof UnsealError && err.keyId === "k1");
  assert.throws(() => ring.open("garbage", "ws_1/vapi"), UnsealError);
});

test("rotation: the first key seals, older keys still open what they sealed", () => {
  const old = Keyring.parse(k1).seal("secret", "ctx");
  const rotated = Keyring.parse(`${k2},${k1}`);
  assert.equal(rotated.activeKeyId, "k2");
  assert.equal(rotated.open(old, "ctx"), "secret");
  assert.equal(Keyring.keyIdOf(rotated.seal("secret", "ctx")), "k2");
});

test("a bad keyring is refused with the reason", () => {
  assert.throws(() => Keyring.parse(undefined), (err: unknown) => err instanceof KeyringError && /PARLEY_ENCRYPTION_KEYS/.test(err.message));
  assert.throws(() => Keyring.parse("k1:c2hvcnQ="), /32 bytes/);
  assert.throws(() => Keyring.parse("nokey"), /<id>:<base64 key>/);
  assert.throws(() => Keyring.parse(`${k1},${k1}`), /listed twice/);
});
