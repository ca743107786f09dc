import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeCursor, encodeCursor, hasPrefix, newId } from "./index";

test("ids carry their prefix and sort by creation order, even within one millisecond", () => {
  const ids = Array.from({ length: 1000 }, () => newId("ld"));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => hasPrefix(id, "ld")));
  assert.ok(newId("ld", 1_000) < newId("ld", Date.now() + 10_000));
});

test("cursors round-trip and reject anything that is not one of ours", () => {
  const id = newId("ld");
  assert.equal(decodeCursor(encodeCursor(id)), id);
  assert.equal(decodeCursor("not-a-cursor"), undefined);
  assert.equal(decodeCursor(Buffer.from("'; drop table").toString("base64url")), undefined);
});
