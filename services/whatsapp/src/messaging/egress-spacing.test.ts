import assert from "node:assert/strict";
import { test } from "node:test";
import { EgressSpacing } from "./egress-spacing";

test("calls that arrive together are let through one gap apart, in arrival order", async () => {
  const spacing = new EgressSpacing();
  const passed: { i: number; at: number }[] = [];
  await Promise.all([0, 1, 2, 3, 4].map((i) => spacing.through(30).then(() => passed.push({ i, at: Date.now() }))));
  assert.deepEqual(passed.map((p) => p.i), [0, 1, 2, 3, 4], "arrival order");
  for (let k = 1; k < passed.length; k++) {
    const gap = passed[k]!.at - passed[k - 1]!.at;
    assert.ok(gap >= 29, `call ${k} went ${gap} ms after the one before`);
  }
});

test("a call after a quiet spell goes at once", async () => {
  const spacing = new EgressSpacing();
  await spacing.through(1000);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const asked = Date.now();
  await spacing.through(1000);
  assert.ok(Date.now() - asked < 500, `waited ${Date.now() - asked} ms though the gap had passed`);
});
