import { createLogger, type Logger } from "@parley/logger";
import { ConfigError } from "@parley/config";

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Process wiring for every service's main.ts: start, then stop once on SIGTERM/SIGINT (a second
 * signal forces the exit). A start failure exits non-zero with a readable reason.
 */
// A bad LOG_LEVEL is reported by the config check, not by the logger throwing before it runs.
const LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);
const envLevel = () => (LEVELS.has(process.env.LOG_LEVEL ?? "") ? process.env.LOG_LEVEL : "info");

export function runMain(name: string, start: () => Promise<Stoppable>, logger: Logger = createLogger({ service: name, level: envLevel() })): void {
  start().then(
    (service) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, "second signal, exiting now");
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, "shutting down");
        service.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, "unclean shutdown");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      // Under a supervisor that owns our stdin (the dev launcher), its death closes stdin: stop with it.
      if (process.env.PARLEY_EXIT_WITH_PARENT === "1") {
        process.stdin.resume();
        process.stdin.once("end", () => onSignal("SIGTERM"));
      }
    },
    (err: unknown) => {
      if (err instanceof ConfigError) console.error(`${name}: ${err.message}`);
      else console.error(`${name}: failed to start:`, err);
      process.exit(1);
    },
  );
}
