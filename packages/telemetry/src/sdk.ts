import { NodeSDK } from "@opentelemetry/sdk-node";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export interface TelemetryOptions {
  serviceName: string;
  /** Spans go nowhere unless an OTLP endpoint is configured (or an exporter is passed, in tests). */
  exporter?: SpanExporter;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  exporting: boolean;
  shutdown(): Promise<void>;
}

let active: Telemetry | undefined;

/** Starts the OpenTelemetry SDK once per process; must run before instrumented modules load (src/instrument.ts). */
export function startTelemetry({ serviceName, exporter, env = process.env }: TelemetryOptions): Telemetry {
  if (active) return active;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  // The standard switch: no SDK at all, so no instrumentation cost (context is not propagated either).
  if (env.OTEL_SDK_DISABLED === "true" && !exporter) {
    active = { exporting: false, shutdown: async () => undefined };
    return active;
  }
  const spanExporter = exporter ?? (endpoint ? new OTLPTraceExporter() : undefined);
  const spanProcessors: SpanProcessor[] = spanExporter
    ? [exporter ? new SimpleSpanProcessor(spanExporter) : new BatchSpanProcessor(spanExporter)]
    : [];
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? `parley-${serviceName}` }),
    spanProcessors,
    // Propagation works even with no exporter, so traces stay whole across services that do export.
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)/.test(req.url ?? "") }),
      new GrpcInstrumentation({ ignoreGrpcMethods: [/^Check$/, /^Watch$/] }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new UndiciInstrumentation(),
    ],
    metricReaders: [],
  });
  sdk.start();
  active = { exporting: spanProcessors.length > 0, shutdown: () => sdk.shutdown() };
  return active;
}

export async function shutdownTelemetry(): Promise<void> {
  await active?.shutdown();
}
