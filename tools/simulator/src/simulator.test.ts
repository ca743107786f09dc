import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSimulator } from "./app";

test("control API: config patches merge, bad config is a 400, reset restores defaults", async () => {
  const { app } = await buildSimulator({ parleyUrl: "http://127.0.0.1:1" });
  try {
    assert.equal((await app.inject({ url: "/healthz" })).statusCode, 200);
    const patched = await app.inject({ method: "POST", url: "/_sim/config", payload: { call_duration_ms: [10, 20], concurrency_limit: { vapi: 3 } } });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(patched.json().call_duration_ms, [10, 20]);
    assert.deepEqual(patched.json().concurrency_limit, { vapi: 3, bolna: 10, retell: 10 });
    const bad = await app.inject({ method: "POST", url: "/_sim/config", payload: { ring_ms: -1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.headers["content-type"], "application/problem+json; charset=utf-8");
    const unknown = await app.inject({ method: "POST", url: "/_sim/config", payload: { warp_speed: true } });
    assert.equal(unknown.statusCode, 400);
    const stats = (await app.inject({ url: "/_sim/stats" })).json();
    assert.deepEqual(stats.vapi, { active: 0, max_concurrent: 0, total: 0, rejected_429: 0 });
    await app.inject({ method: "POST", url: "/_sim/reset" });
    assert.deepEqual((await app.inject({ url: "/_sim/config" })).json().concurrency_limit, { vapi: 10, bolna: 10, retell: 10 });
  } finally {
    await app.close();
  }
});
