// `npm start`: Postgres and NATS (found or started locally), every service, the simulator, a demo workspace.
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, env, loadConfig } from "@parley/config";
import { Keyring } from "@parley/crypto";
import { seedDemoWorkspace } from "./demo";
import { MissingDependencyError, resolveNats, resolvePostgres, type Dependency } from "./dependencies";
import { createLineFormatter } from "./log-format";
import { DEFAULT_PORTS, GRPC_SERVICES, startStack, type Stack } from "./stack";

const root = resolve(import.meta.dirname, "../../..");
const stateDir = join(root, ".parley");

const launcherEnv = z.object({
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/postgres"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  PARLEY_ADMIN_TOKEN: z.string().min(16).optional(),
  PARLEY_ENCRYPTION_KEYS: z.string().optional(),
  GATEWAY_PORT: env.port(DEFAULT_PORTS.gateway),
  SIMULATOR_PORT: env.port(DEFAULT_PORTS.simulator),
  LOG_LEVEL: env.logLevel(),
  PARLEY_SUBJECT_PREFIX: z.string().regex(/^[a-z0-9_]*$/).default(""),
});

function say(msg: string): void {
  console.log(`${"parley".padEnd(9)} | ${msg}`);
}

/** A local secret: the env value if set, else the one kept in .parley/<name>, else a new one kept there. */
function localSecret(given: string | undefined, name: string, generate: () => string): string {
  if (given) return given;
  const file = join(stateDir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const value = generate();
  writeFileSync(file, value, { mode: 0o600 });
  return value;
}

async function main(): Promise<void> {
  const config = loadConfig(launcherEnv, process.env);
  mkdirSync(stateDir, { recursive: true });
  const token = localSecret(config.PARLEY_ADMIN_TOKEN, "admin-token", () => `adm_${randomBytes(24).toString("base64url")}`);
  // Losing this file makes stored provider credentials unreadable: it is kept beside the data.
  const encryptionKeys = localSecret(config.PARLEY_ENCRYPTION_KEYS, "encryption-keys", () => Keyring.generateEntry("local1"));
  const owned: Dependency[] = [];
  let stack: Stack | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      say("stopping: gateway first, then the services (each drains, flushes its outbox, closes NATS and its database)");
      await stack?.stop();
      for (const dep of owned.reverse()) await dep.stop?.();
      say("stopped");
    })());
  process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));

  try {
    const pg = await resolvePostgres(config.DATABASE_URL, stateDir, say);
    if (pg.started) owned.push(pg);
    const nats = await resolveNats(config.NATS_URL, stateDir, say);
    if (nats.started) owned.push(nats);
    say(`PostgreSQL ${pg.started ? "(embedded) " : ""}at ${new URL(pg.url).host}, NATS ${nats.started ? "(local) " : ""}at ${nats.url}`);
    const format = createLineFormatter([...GRPC_SERVICES, "gateway", "simulator"]);
    stack = await startStack({
      root,
      databaseUrl: pg.url,
      natsUrl: nats.url,
      adminToken: token,
      encryptionKeys,
      ports: { ...DEFAULT_PORTS, gateway: config.GATEWAY_PORT, simulator: config.SIMULATOR_PORT },
      subjectPrefix: config.PARLEY_SUBJECT_PREFIX,
      logLevel: config.LOG_LEVEL,
      onLine: (service, line) => console.log(format(service, line)),
    });
    const demo = await seedDemoWorkspace(stack.gatewayUrl, token, join(stateDir, "demo.json"));
    const url = stack.gatewayUrl;
    const phone = `+1 415 555 01${String(randomInt(0, 100)).padStart(2, "0")}`;
    console.log(`
  Parley is running.

  Gateway     ${url}        (API docs: ${url}/docs, OpenAPI: ${url}/openapi.json)
  Simulator   ${stack.simulatorUrl}
  Admin token ${token}   (.parley/admin-token; creates workspaces)
  Demo key    ${demo.api_key}   (workspace ${demo.workspace_id}, .parley/demo.json)

  Try it:
    curl -s -X POST ${url}/v1/leads -H "Authorization: Bearer ${demo.api_key}" -H "Content-Type: application/json" -d '{"phone":"${phone}","name":"Ada Lovelace","tags":["demo"]}'
    curl -s "${url}/v1/leads?limit=5" -H "Authorization: Bearer ${demo.api_key}"

  Ctrl-C stops everything.
`);
  } catch (err) {
    if (err instanceof MissingDependencyError || err instanceof ConfigError) console.error(`\nparley: ${err.message}\n`);
    else console.error("\nparley: failed to start:", err);
    await shutdown();
    process.exit(1);
  }
}

await main();
