// Loaded with --import before main.ts, so instrumented modules are patched as they load.
import { register } from "node:module";

register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
const { startTelemetry } = await import("@parley/telemetry");
startTelemetry({ serviceName: "leads" });
