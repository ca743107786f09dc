import pg from "pg";

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`database name must be lowercase letters, digits and _ (got "${name}")`);
  return name;
}

/** The same server, the maintenance database: where CREATE/DROP DATABASE run. */
export function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = "/postgres";
  return u.toString();
}

function isDuplicateDatabase(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  // 42P04 duplicate_database; 23505 when two creators race on pg_database's unique index.
  return code === "42P04" || code === "23505";
}

/** Creates the database named in `url` when it does not exist. Safe to run from several replicas at once. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const client = new pg.Client({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`create database "${name}"`);
      return true;
    } catch (err) {
      if (isDuplicateDatabase(err)) return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const client = new pg.Client({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
