import { test } from "node:test";
import assert from "node:assert/strict";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { context, trace } from "@opentelemetry/api";
import { extractTraceContext, injectTraceHeaders, startTelemetry, withSpanFrom } from "./index";

const exporter = new InMemorySpanExporter();
startTelemetry({ serviceName: "telemetry-test", exporter });

test("exporting is off unless an endpoint or exporter is configured", async () => {
  const { exporting } = startTelemetry({ serviceName: "ignored" });
  assert.equal(exporting, true, "the already-started SDK (with a test exporter) is reused");
});

test("trace context crosses a message boundary through traceparent headers", async () => {
  const tracer = trace.getTracer("test");
  let producerTraceId = "";
  let headers: Record<string, string> = {};
  tracer.startActiveSpan("produce", (span) => {
    producerTraceId = span.spanContext().traceId;
    headers = injectTraceHeaders();
    span.end();
  });
  assert.match(headers.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  assert.equal(trace.getSpanContext(extractTraceContext(headers))?.traceId, producerTraceId);

  await withSpanFrom("consume", headers, { "parley.workspace_id": "ws_1" }, async (span) => {
    assert.equal(span.spanContext().traceId, producerTraceId);
    assert.equal(trace.getSpan(context.active()), span);
  });
  // The processor hands spans over asynchronously; wait for it rather than for a fixed time.
  const deadline = Date.now() + 5000;
  const finished = () => exporter.getFinishedSpans().find((s) => s.name === "consume");
  while (!finished() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const consumer = finished();
  assert.equal(consumer?.attributes["parley.workspace_id"], "ws_1");
  assert.equal(consumer?.spanContext().traceId, producerTraceId);
});
