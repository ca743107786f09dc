// Test isolation: every test run gets its own databases and its own NATS subject/stream prefix,
// and a missing dependency is named plainly instead of surfacing as a timeout.
import { after } from "node:test";
import { dropDatabase, ensureDatabase, withDatabase } from "@parley/db";
import pg from "pg";
import { PG_URL, requirePostgres, uniqueId } from "./support";

export * from "./support";

// Registered when a test file imports this module, so it is a root hook of that file: databases
// created inside `before` hooks are dropped after the file's last test, not after the hook.
const created: string[] = [];
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  for (const url of created.splice(0)) await dropDatabase(url);
});

/** Runs after the file's tests, before its databases are dropped: close pools and clients here. */
export function cleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A fresh, empty database for this test file, dropped when the file's tests finish. */
export async function createTestDatabase(label: string): Promise<string> {
  await requirePostgres();
  const url = withDatabase(PG_URL, `${uniqueId()}_${label}`.toLowerCase().replace(/[^a-z0-9_]/g, "_"));
  await ensureDatabase(url);
  created.push(url);
  return url;
}

/**
 * A pool closed after the file's tests. An idle connection that breaks is reported, not thrown:
 * without a listener pg raises it as an uncaught exception, failing whichever test runs next.
 */
export function testPool(connectionString: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on("error", (err) => console.error(`test pool: idle connection lost: ${err.message}`));
  cleanup(() => pool.end());
  return pool;
}
