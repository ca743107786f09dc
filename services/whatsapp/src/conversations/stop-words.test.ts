import { test } from "node:test";
import assert from "node:assert/strict";
import { isStopRequest } from "./stop-words";
import { movesForward } from "./message-status";

test("STOP and its kin opt out, alone and in any case; a sentence that mentions stop does not", () => {
  for (const text of ["STOP", "stop", " Stop! ", "unsubscribe", "opt out", "BAJA", "Stop all"]) assert.equal(isStopRequest(text), true, text);
  for (const text of ["please stop by tomorrow", "don't stop", "stopwatch", ""]) assert.equal(isStopRequest(text), false, text);
});

test("statuses move forward only; a failure follows sent but never undoes a delivery", () => {
  assert.equal(movesForward("queued", "sent"), true);
  assert.equal(movesForward("read", "delivered"), false);
  assert.equal(movesForward("sent", "failed"), true);
  assert.equal(movesForward("delivered", "failed"), false);
  assert.equal(movesForward("sent", "sent"), false);
});
