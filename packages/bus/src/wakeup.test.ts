import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@parley/logger";
import { createTestDatabase, testPool } from "@parley/testing";
import { Wakeup } from "./wakeup";

/** Connections checked out of the pool (a listener keeps its own checked out). */
const held = (pool: { totalCount: number; idleCount: number }) => pool.totalCount - pool.idleCount;

const logger = createLogger({ service: "wakeup-test", level: "silent" });

test("wakeups on one pool share one LISTEN connection; a NOTIFY wakes only its channel's sleeper; the last close gives it back", async () => {
  // testPool ends the pool in the file's cleanup.
  const pool = testPool(await createTestDatabase("wakeup"), 4);
  const a = new Wakeup(pool, "wake_a", logger);
  const b = new Wakeup(pool, "wake_b", logger);
  const c = new Wakeup(pool, "wake_c", logger);
  await Promise.all([a.listen(), b.listen(), c.listen()]);
  assert.equal(held(pool), 1, "one connection listens for all three");

  let woke = "";
  const sleeping = Promise.race([a.sleep(5000).then(() => (woke ||= "a")), b.sleep(5000).then(() => (woke ||= "b"))]);
  await pool.query("select pg_notify('wake_b', '')");
  const started = Date.now();
  await sleeping;
  assert.equal(woke, "b");
  assert.ok(Date.now() - started < 4000, "woken by the NOTIFY, not the timeout");
  a.poke();
  c.poke();

  a.close();
  b.close();
  assert.equal(held(pool), 1, "still listening for c");
  c.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(held(pool), 0, "the listening connection is given up");
  assert.equal(pool.idleCount, pool.totalCount, "and not returned to the pool, where it would still LISTEN");
});
