import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import pg from "pg";

export interface MigrationSource {
  /** Recorded with each migration id, so shared migrations (e.g. the bus tables) never collide with a service's. */
  namespace: string;
  /** A folder of `<timestamp>_<name>/migration.sql`, Prisma's layout. */
  dir: string;
}

export interface Migration {
  id: string;
  sql: string;
  checksum: string;
}

export class MigrationChecksumError extends Error {
  constructor(readonly migrationId: string) {
    super(`migration ${migrationId} was changed after it was applied; add a new migration instead`);
    this.name = "MigrationChecksumError";
  }
}

// One fixed key: every Parley migration runner in a database queues on it.
const ADVISORY_LOCK_KEY = 0x7061726c; // "parl"

export function readMigrations(sources: MigrationSource[]): Migration[] {
  return sources.flatMap(({ namespace, dir }) => {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
      .map((e) => e.name)
      .sort()
      .map((name) => {
        const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
        return { id: `${namespace}/${name}`, sql, checksum: createHash("sha256").update(sql).digest("hex") };
      });
  });
}

/**
 * Applies pending migrations in order, each in its own transaction, under a session advisory lock so
 * replicas starting together apply each migration exactly once. Returns the ids it applied.
 */
export async function migrate(url: string, sources: MigrationSource[]): Promise<string[]> {
  const migrations = readMigrations(sources);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
    await client.query(`create table if not exists schema_migrations (
      id text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = new Map(
      (await client.query<{ id: string; checksum: string }>("select id, checksum from schema_migrations")).rows.map((r) => [
        r.id,
        r.checksum,
      ]),
    );
    const done: string[] = [];
    for (const m of migrations) {
      const previous = applied.get(m.id);
      if (previous !== undefined) {
        if (previous !== m.checksum) throw new MigrationChecksumError(m.id);
        continue;
      }
      await client.query("begin");
      try {
        await client.query(m.sql);
        await client.query("insert into schema_migrations (id, checksum) values ($1, $2)", [m.id, m.checksum]);
        await client.query("commit");
      } catch (err) {
        await client.query("rollback");
        throw new Error(`migration ${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
      done.push(m.id);
    }
    return done;
  } finally {
    await client.query("select pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
