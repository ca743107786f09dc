import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { lastReported, tapCounts, type TapCounts } from "./tap-counts";

export type FileOutcome = "passed" | "failed" | "timed_out";

export interface FileResult {
  file: string;
  outcome: FileOutcome;
  exitCode: number | null;
  durationMs: number;
  /** The spec reporter's output, in order. */
  output: string;
  tap: string;
  counts: TapCounts;
  /** The last test to report, so a killed file says where it stopped. */
  lastReported?: string;
}

/** NODE_TEST_CONTEXT would make the file report to a parent runner instead of to our reporters. */
function fileEnv(): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return { ...env, NODE_ENV: "test", FORCE_COLOR: "0" };
}

export interface FileRunOptions {
  timeoutMs: number;
  tapDir: string;
}

/**
 * Runs one test file in its own process group under a deadline. Node's runner waits forever on a
 * file whose process never exits; this kills the group (the file and whatever it spawned, such as
 * service replicas) and says so, so a hang costs minutes of CI, not the whole budget.
 */
export function runTestFile(file: string, index: number, opts: FileRunOptions): Promise<FileResult> {
  const tapFile = join(opts.tapDir, `${index}.tap`);
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=tap",
      `--test-reporter-destination=${tapFile}`,
      file,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: fileEnv(), detached: true },
  );
  const chunks: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => chunks.push(c));
  child.stderr.on("data", (c: Buffer) => chunks.push(c));
  let timedOut = false;
  const killGroup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the group is already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, opts.timeoutMs);
  // If the runner itself is stopped, take the file's process group with it.
  process.once("exit", killGroup);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      // A file that ended without stopping what it spawned (a failed test's replicas) leaves them
      // in its group: they would go on loading the machine under the next files.
      killGroup();
      process.removeListener("exit", killGroup);
      let tap = "";
      try {
        tap = readFileSync(tapFile, "utf8");
        rmSync(tapFile, { force: true });
      } catch {
        // killed before the reporter wrote anything
      }
      const counts = tapCounts(tap);
      const outcome: FileOutcome = timedOut ? "timed_out" : code === 0 ? "passed" : "failed";
      resolve({
        file,
        outcome,
        exitCode: code,
        durationMs: Date.now() - started,
        output: Buffer.concat(chunks).toString("utf8"),
        tap,
        counts,
        lastReported: lastReported(tap),
      });
    });
  });
}
