import { test } from "node:test";
import assert from "node:assert/strict";
import { TtlCache } from "./index";

test("a value, or its absence, is loaded once per TTL; delete forgets it; the bound drops expired entries first", async () => {
  let clock = 0;
  let loads = 0;
  const cache = new TtlCache<string | undefined>({ ttlMs: 100, maxEntries: 2, now: () => clock });
  const load = (value: string | undefined) => async () => {
    loads += 1;
    return value;
  };
  assert.equal(await cache.get("a", load(undefined)), undefined);
  assert.equal(await cache.get("a", load("late")), undefined, "absence is remembered");
  cache.delete("a");
  assert.equal(await cache.get("a", load("A")), "A");
  clock = 50;
  assert.equal(await cache.get("b", load("B")), "B");
  clock = 120;
  assert.equal(await cache.get("c", load("C")), "C", "a is expired and makes room");
  assert.equal(await cache.get("b", load("B2")), "B", "b is still fresh");
  assert.equal(loads, 4);
  assert.equal(await cache.get("a", load("A2")), "A2");
});

test("a TTL of 0 loads every time", async () => {
  let loads = 0;
  const cache = new TtlCache<number>({ ttlMs: 0 });
  await cache.get("k", async () => ++loads);
  await cache.get("k", async () => ++loads);
  assert.equal(loads, 2);
});
