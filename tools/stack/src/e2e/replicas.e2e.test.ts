import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { cleanup, freePort } from "@parley/testing";
import { unstartedStack } from "./harness";

test("two leads replicas started at once on an empty database both come up; migrations run once", { timeout: 120_000 }, async () => {
  const { stack } = await unstartedStack();
  const second = stack.replica("leads", await freePort(), await freePort());
  cleanup(() => second.stop());
  await Promise.all([stack.processes.leads.start(), second.start()]);
  assert.ok(stack.processes.leads.running && second.running);
  const db = new pg.Client({ connectionString: stack.databaseUrls.leads });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>("select id from schema_migrations order by id");
    assert.deepEqual(rows.map((r) => r.id), ["bus/20261123000000_bus", "leads/20261123000000_init", "leads/20261124000000_imports"]);
  } finally {
    await db.end();
  }
});
