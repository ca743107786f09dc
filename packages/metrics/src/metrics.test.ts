import { test } from "node:test";
import assert from "node:assert/strict";
import { counter, initMetrics, renderMetrics } from "./index";

test("one registry: a metric registered twice is the same metric, and /metrics text includes it with the service label", async () => {
  initMetrics("unit");
  const a = counter("parley_test_events_total", "test events", ["kind"]);
  const b = counter("parley_test_events_total", "test events", ["kind"]);
  assert.equal(a, b);
  a.inc({ kind: "x" }, 2);
  const { body, contentType } = await renderMetrics();
  assert.match(contentType, /text\/plain/);
  assert.match(body, /parley_test_events_total\{kind="x",service="unit"\} 2/);
  assert.match(body, /parley_process_cpu_user_seconds_total/);
});
