import { test } from "node:test";
import assert from "node:assert/strict";
import { nextAttemptAt, retryPolicySchema } from "./retry-policy";

const now = new Date("2026-11-23T10:00:00Z");
const minutesAfter = (d: Date | null) => (d!.getTime() - now.getTime()) / 60_000;

test("defaults: every retryable outcome has attempts and a delay", () => {
  const policy = retryPolicySchema.parse({});
  assert.deepEqual(policy.no_answer, { max_attempts: 3, delay_minutes: 60 });
  assert.equal(policy.backoff, 2);
});

test("the delay grows by the back-off factor with each attempt, until the attempts run out", () => {
  const policy = retryPolicySchema.parse({ busy: { max_attempts: 3, delay_minutes: 10 }, jitter: 0 });
  assert.equal(minutesAfter(nextAttemptAt(policy, "busy", 1, now, 0.5)), 10);
  assert.equal(minutesAfter(nextAttemptAt(policy, "busy", 2, now, 0.5)), 20);
  assert.equal(nextAttemptAt(policy, "busy", 3, now, 0.5), null);
});

test("jitter spreads the delay both ways, within its bound", () => {
  const policy = retryPolicySchema.parse({ failed: { max_attempts: 2, delay_minutes: 100 }, jitter: 0.2 });
  assert.equal(minutesAfter(nextAttemptAt(policy, "failed", 1, now, 0)), 80);
  assert.ok(Math.abs(minutesAfter(nextAttemptAt(policy, "failed", 1, now, 0.999999)) - 120) < 0.01);
});

test("answered, cancelled and opted-out attempts are never retried", () => {
  const policy = retryPolicySchema.parse({});
  for (const outcome of ["completed", "canceled", "opted_out"]) assert.equal(nextAttemptAt(policy, outcome, 1, now, 0.5), null, outcome);
});

test("unknown keys and out-of-range values are refused", () => {
  assert.equal(retryPolicySchema.safeParse({ no_answer: { max_attempts: 0, delay_minutes: 5 } }).success, false);
  assert.equal(retryPolicySchema.safeParse({ sometimes: {} }).success, false);
});
