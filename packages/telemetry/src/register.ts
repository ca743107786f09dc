// ESM modules are only instrumentable through import-in-the-middle's loader hook, registered
// before the application imports anything. Each service's src/instrument.ts imports this first.
import { register } from "node:module";

register("@opentelemetry/instrumentation/hook.mjs", import.meta.url);
