import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTestFile } from "./test-file-run";
import { lastReported, tapCounts } from "./tap-counts";

/** Running: a zombie (killed, not yet reaped by its new parent) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

const fixture = (name: string) => join(import.meta.dirname, "fixtures", name);

test("a file that passes its tests but never exits is killed at its deadline and reported as such", async () => {
  const tapDir = mkdtempSync(join(tmpdir(), "runner-test-"));
  try {
    const result = await runTestFile(fixture("leaves-a-handle.ts"), 0, { timeoutMs: 4000, tapDir });
    assert.equal(result.outcome, "timed_out");
    assert.equal(result.lastReported, "passes, then leaves an interval running");
    assert.equal(result.counts.pass, 1);
    assert.ok(result.durationMs >= 4000, `took ${result.durationMs} ms`);
  } finally {
    rmSync(tapDir, { recursive: true, force: true });
  }
});

test("a child process a file left behind is killed when the file ends", async () => {
  const tapDir = mkdtempSync(join(tmpdir(), "runner-test-"));
  const pidFile = join(tapDir, "child.pid");
  process.env.CHILD_PID_FILE = pidFile;
  try {
    const result = await runTestFile(fixture("leaves-a-child.ts"), 0, { timeoutMs: 60_000, tapDir });
    assert.equal(result.outcome, "passed");
    const pid = Number(readFileSync(pidFile, "utf8"));
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, `child ${pid} is still alive`);
  } finally {
    delete process.env.CHILD_PID_FILE;
    rmSync(tapDir, { recursive: true, force: true });
  }
});

test("a failing file reports its counts and a non-zero exit", async () => {
  const tapDir = mkdtempSync(join(tmpdir(), "runner-test-"));
  try {
    const result = await runTestFile(fixture("fails-once.ts"), 0, { timeoutMs: 60_000, tapDir });
    assert.equal(result.outcome, "failed");
    assert.notEqual(result.exitCode, 0);
    assert.deepEqual(result.counts, { pass: 1, fail: 1, skipped: 0 });
    assert.match(result.output, /fails/);
  } finally {
    rmSync(tapDir, { recursive: true, force: true });
  }
});

test("counts come from the summary, or from top-level results when a killed file wrote none", () => {
  assert.deepEqual(tapCounts("# tests 3\n# pass 2\n# fail 0\n# skipped 1\n# todo 0\n"), { pass: 2, fail: 0, skipped: 1 });
  assert.deepEqual(tapCounts("TAP version 13\n    ok 1 - nested\nok 1 - a\nnot ok 2 - b\n"), { pass: 1, fail: 1, skipped: 0 });
  assert.equal(lastReported("ok 1 - a\n    ok 1 - nested\n"), "nested");
});
