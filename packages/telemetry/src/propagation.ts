import { context, propagation, trace, type Context, type Span, SpanKind } from "@opentelemetry/api";

/** Writes the active trace context (`traceparent`, `tracestate`) into a plain header record. */
export function injectTraceHeaders(carrier: Record<string, string> = {}, ctx: Context = context.active()): Record<string, string> {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context carried by incoming headers (NATS, HTTP), to run work under. */
export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(context.active(), headers, {
    keys: (c) => Object.keys(c),
    get: (c, key) => c[key] ?? c[key.toLowerCase()],
  });
}

/** Runs `fn` in a span whose parent is the context carried by `headers`. */
export async function withSpanFrom<T>(
  name: string,
  headers: Record<string, string | undefined>,
  attributes: Record<string, string>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer("parley");
  return tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, extractTraceContext(headers), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2 });
      throw err;
    } finally {
      span.end();
    }
  });
}
