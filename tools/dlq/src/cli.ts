// Dead letters of one service: list them, and replay them to the consumer that gave up on them.
import { parseArgs } from "node:util";
import pg from "pg";
import { connectBus, listDeadLetters, replayDeadLetter, type DeadLetter } from "@parley/bus";
import { withDatabase } from "@parley/db";
import { createLogger } from "@parley/logger";

export const USAGE = `usage:
  npm run dlq -- list   --service <name> [--consumer <durable>] [--all] [--json]
  npm run dlq -- replay --service <name> (<id>... | --pending) [--consumer <durable>]

  --service       leads | voice | whatsapp | analytics | retention (database parley_<service>)
  --database-url  instead of --service: the service database's URL
  --pending       replay every dead letter not replayed yet (narrowed by --consumer)
env: DATABASE_URL (server to use, default postgres://postgres@127.0.0.1:5432), NATS_URL, PARLEY_SUBJECT_PREFIX`;

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n\n${USAGE}`);
    this.name = "UsageError";
  }
}

interface Io {
  out(line: string): void;
  env: NodeJS.ProcessEnv;
}

function databaseUrl(values: { service?: string; "database-url"?: string }, env: NodeJS.ProcessEnv): string {
  if (values["database-url"]) return values["database-url"];
  if (!values.service) throw new UsageError("--service or --database-url is required");
  if (!/^[a-z]+$/.test(values.service)) throw new UsageError(`not a service name: ${values.service}`);
  return withDatabase(env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", `parley_${values.service}`);
}

function line(d: DeadLetter): string {
  const state = d.replayedAt ? `replayed ${d.replayedAt.toISOString()}` : "pending";
  return `${d.id}\t${d.consumer}\t${d.eventType}\t${d.eventId}\t${d.deliveries} deliveries\t${d.failedAt.toISOString()}\t${state}\n    ${d.error}`;
}

export async function runDlq(argv: string[], io: Io): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: "string" },
      "database-url": { type: "string" },
      consumer: { type: "string" },
      all: { type: "boolean", default: false },
      pending: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const [command, ...ids] = positionals;
  if (command !== "list" && command !== "replay") throw new UsageError(command ? `unknown command: ${command}` : "a command is required");
  const pool = new pg.Pool({ connectionString: databaseUrl(values, io.env), max: 2 });
  try {
    if (command === "list") {
      const letters = await listDeadLetters(pool, { consumer: values.consumer, all: values.all, limit: 1000 });
      if (values.json) io.out(JSON.stringify(letters));
      else if (!letters.length) io.out("no dead letters");
      else for (const d of letters) io.out(line(d));
      return;
    }
    const targets = values.pending ? (await listDeadLetters(pool, { consumer: values.consumer, limit: 10_000 })).map((d) => d.id) : ids;
    if (!targets.length) {
      if (!values.pending) throw new UsageError("give dead-letter ids, or --pending");
      io.out("nothing to replay");
      return;
    }
    const prefix = io.env.PARLEY_SUBJECT_PREFIX ?? "";
    const bus = await connectBus({ url: io.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "parley-dlq", prefix, logger: createLogger({ service: "dlq", level: "warn" }) });
    try {
      for (const id of targets) {
        const d = await replayDeadLetter(pool, bus.js, prefix, id);
        io.out(`replayed ${d.id} (${d.eventType} ${d.eventId}) to ${d.consumer}`);
      }
    } finally {
      await bus.close();
    }
  } finally {
    await pool.end();
  }
}
