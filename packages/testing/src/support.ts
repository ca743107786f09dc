// Dependencies of tests and benchmarks that need no test runner: URLs, unique ids, reachability,
// a NATS server of one's own. `index.ts` adds the per-file database life cycle of node:test.
import { randomBytes } from "node:crypto";
import { connect as netConnect } from "node:net";
import { MissingDependencyError } from "./errors";

export { MissingDependencyError } from "./errors";
export { startNatsServer, freePort, natsServerBinary, type OwnNatsServer } from "./nats-server";

export const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** A short random token, safe in database names, NATS subjects and stream names. */
export function uniqueId(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
}

/** Whether something accepts TCP connections there: tells "not running" apart from "slow". */
export async function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function requirePostgres(url = PG_URL): Promise<void> {
  const u = new URL(url);
  if (!(await reachable(u.hostname, Number(u.port || 5432))))
    throw new MissingDependencyError(
      "PostgreSQL",
      `${u.hostname}:${u.port || 5432}`,
      "Start it (on node-svc: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL.",
    );
}

export async function requireNats(url = NATS_URL): Promise<void> {
  const u = new URL(url.replace(/^nats:/, "http:"));
  if (!(await reachable(u.hostname, Number(u.port || 4222))))
    throw new MissingDependencyError(
      "NATS (with JetStream)",
      `${u.hostname}:${u.port || 4222}`,
      "Start it (nats-server -js) or set TEST_NATS_URL.",
    );
}

