import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "./index";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ service: "test", destination }) };
}

test("redacts secrets, phones and transcripts by key, at any depth", () => {
  const { lines, logger } = capture();
  logger.info(
    { lead: { phone: "+14155550101", name: "Ada" }, api_key: "pk_abc", headers: { authorization: "Bearer x" }, call: { transcript: "hello there" } },
    "created",
  );
  const line = JSON.stringify(lines[0]);
  for (const secret of ["+14155550101", "pk_abc", "Bearer x", "hello there"]) assert.ok(!line.includes(secret), secret);
  assert.ok(line.includes("Ada"));
  assert.equal(lines[0]?.service, "test");
});

test("scrubs phone numbers and keys inside messages and error text", () => {
  const { lines, logger } = capture();
  logger.warn("dialing +44 20 7946 0958 with key pk_live_123, then (415) 555-0123");
  logger.error({ err: new Error("provider refused +14155550102") }, "dial failed");
  const all = JSON.stringify(lines);
  assert.ok(!all.includes("7946"), all);
  assert.ok(!all.includes("555-0123"), all);
  assert.ok(!all.includes("pk_live_123"));
  assert.ok(!all.includes("14155550102"));
  assert.ok(all.includes("dial failed"));
});

test("leaves ordinary fields alone", () => {
  const { lines, logger } = capture();
  logger.info({ workspace_id: "ws_123", count: 42, migration: "leads/20261123000000_init", server: "127.0.0.1:4222" }, "ok at 2026-11-23T08:15:46.372Z");
  assert.equal(lines[0]?.workspace_id, "ws_123");
  assert.equal(lines[0]?.count, 42);
  assert.equal(lines[0]?.migration, "leads/20261123000000_init");
  assert.equal(lines[0]?.server, "127.0.0.1:4222");
  assert.equal(lines[0]?.msg, "ok at 2026-11-23T08:15:46.372Z");
});
