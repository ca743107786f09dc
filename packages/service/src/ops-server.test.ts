import { test } from "node:test";
import assert from "node:assert/strict";
import { counter, initMetrics } from "@parley/metrics";
import { startOpsServer } from "./ops-server";

test("healthz is alive, readyz names the failing dependency, metrics serve the registry", async () => {
  initMetrics("ops-test");
  counter("parley_ops_test_total", "test").inc();
  let dbUp = false;
  const ops = await startOpsServer(0, "127.0.0.1", {
    database: async () => {
      if (!dbUp) throw new Error("connection refused");
    },
    nats: async () => undefined,
  });
  try {
    assert.equal((await fetch(`${ops.url}/healthz`)).status, 200);
    const notReady = await fetch(`${ops.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.headers.get("content-type"), "application/problem+json");
    const body = (await notReady.json()) as { detail: string; checks: Record<string, string> };
    assert.match(body.detail, /database: connection refused/);
    assert.equal(body.checks.nats, "ok");
    dbUp = true;
    assert.equal((await fetch(`${ops.url}/readyz`)).status, 200);
    const metrics = await fetch(`${ops.url}/metrics`);
    assert.match(await metrics.text(), /parley_ops_test_total\{service="ops-test"\} 1/);
    assert.equal((await fetch(`${ops.url}/nope`)).status, 404);
  } finally {
    await ops.close();
  }
});
