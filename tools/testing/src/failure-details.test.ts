import { test } from "node:test";
import assert from "node:assert/strict";
import { failureDetails } from "./failure-details";

const report = `TAP version 13
# Subtest: passes
ok 1 - passes
  ---
  duration_ms: 1.2
  ...
# Subtest: /repo/a.test.ts
not ok 2 - /repo/a.test.ts
  ---
  duration_ms: 11859.39
  failureType: 'testCodeFailure'
  exitCode: 1
  error: 'test failed'
  ...
# Error: Test "x" generated asynchronous activity after the test ended.
ok 3 - later
  ---
  duration_ms: 3
  ...
# tests 3
`;

test("keeps failures with their details and error diagnostics, drops passes and totals", () => {
  const details = failureDetails(report);
  assert.match(details, /not ok 2 - \/repo\/a\.test\.ts/);
  assert.match(details, /exitCode: 1/);
  assert.match(details, /asynchronous activity after the test ended/);
  assert.doesNotMatch(details, /ok 1 - passes|ok 3 - later|# tests 3/);
});

test("a clean report has no details", () => {
  assert.equal(failureDetails("TAP version 13\nok 1 - a\n  ---\n  duration_ms: 1\n  ...\n# pass 1\n"), "");
});
