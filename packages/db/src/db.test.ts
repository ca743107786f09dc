import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createTestDatabase } from "@parley/testing";
import { compareSchemas, ensureDatabase, infrastructureTable, migrate, MigrationChecksumError, parsePrismaSchema, readDatabaseTables } from "./index";

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-mig-"));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

test("ensureDatabase is idempotent", async () => {
  const url = await createTestDatabase("ensure");
  assert.equal(await ensureDatabase(url), false);
});

test("migrations apply once, in order, even with five runners at once", async () => {
  const url = await createTestDatabase("mig");
  const dir = migrationsDir({
    "20260101000000_a": "create table a (id int primary key);",
    "20260102000000_b": "insert into a values (1);",
  });
  const results = await Promise.all(Array.from({ length: 5 }, () => migrate(url, [{ namespace: "svc", dir }])));
  assert.deepEqual(results.flat().sort(), ["svc/20260101000000_a", "svc/20260102000000_b"]);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = (await client.query("select count(*)::int as n from a")).rows as { n: number }[];
  const ledger = (await client.query("select id from schema_migrations order by id")).rows as { id: string }[];
  await client.end();
  assert.equal(rows[0]?.n, 1);
  assert.deepEqual(ledger.map((r) => r.id), ["svc/20260101000000_a", "svc/20260102000000_b"]);
});

test("a failing migration rolls back and is not recorded", async () => {
  const url = await createTestDatabase("migfail");
  const dir = migrationsDir({ "1_ok": "create table ok (id int);", "2_bad": "create table bad (id int); select nonsense_fn();" });
  await assert.rejects(migrate(url, [{ namespace: "svc", dir }]), /migration svc\/2_bad failed/);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const tables = (await client.query("select table_name from information_schema.tables where table_name in ('ok','bad')")).rows;
  await client.end();
  assert.deepEqual(tables, [{ table_name: "ok" }]);
});

test("an applied migration that was edited is refused", async () => {
  const url = await createTestDatabase("migedit");
  const dir = migrationsDir({ "1_a": "create table a (id int);" });
  await migrate(url, [{ namespace: "svc", dir }]);
  writeFileSync(join(dir, "1_a", "migration.sql"), "create table a (id bigint);");
  await assert.rejects(migrate(url, [{ namespace: "svc", dir }]), MigrationChecksumError);
});

test("schema agreement finds missing columns, type and nullability drift", async () => {
  const url = await createTestDatabase("agree");
  const dir = migrationsDir({
    "1_init": `create table things (id text primary key, name text, count integer not null, created_at timestamptz(3) not null, extra text);`,
  });
  await migrate(url, [{ namespace: "svc", dir }]);
  const schema = `
    model Thing {
      id        String   @id
      name      String
      count     BigInt
      createdAt DateTime @map("created_at") @db.Timestamptz(3)
      missing   String?
      @@map("things")
    }`;
  const problems = compareSchemas(parsePrismaSchema(schema), await readDatabaseTables(url, infrastructureTable));
  assert.deepEqual(problems.sort(), [
    "column things.count: Prisma says bigint, database has integer",
    "column things.extra: in the database, missing in the Prisma schema",
    "column things.missing: in the Prisma schema, missing in the database",
    "column things.name: Prisma says not null, database disagrees",
  ]);
});
