// Node 20's test runner takes no globs and waits forever on a file that never exits, so we collect
// the test files ourselves and run each under a deadline (see test-file-run.ts), three at a time.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { failureDetails } from "./failure-details";
import { runTestFile, type FileResult } from "./test-file-run";

const roots = ["packages", "services", "tools"];
const skipDirs = new Set(["node_modules", "generated", "gen", ".parley", "fixtures"]);
const CONCURRENCY = Number(process.env.TEST_CONCURRENCY ?? 3);
const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 10 * 60_000);

function collect(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir)) {
    if (skipDirs.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith(".test.ts")) out.push(relative(process.cwd(), path));
  }
}

const filter = process.argv.slice(2);
const files: string[] = [];
for (const root of roots) collect(root, files);
const selected = (filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files).sort();
if (selected.length === 0) {
  console.error(`no test files match ${filter.join(" ")}`);
  process.exit(1);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const tapDir = mkdtempSync(join(tmpdir(), "parley-tests-"));
const started = Date.now();
const results: FileResult[] = [];
const queue = selected.map((file, index) => ({ file, index }));

function report(r: FileResult): void {
  const verdict =
    r.outcome === "timed_out"
      ? `KILLED after ${seconds(r.durationMs)}; the last test to report was ${r.lastReported ? `"${r.lastReported}"` : "none"}`
      : `${r.outcome}, ${seconds(r.durationMs)}`;
  console.log(`\n── ${r.file} (${verdict})`);
  process.stdout.write(r.output.endsWith("\n") || !r.output ? r.output : `${r.output}\n`);
}

async function worker(): Promise<void> {
  for (let next = queue.shift(); next; next = queue.shift()) {
    const result = await runTestFile(next.file, next.index, { timeoutMs: FILE_TIMEOUT_MS, tapDir });
    results.push(result);
    report(result);
  }
}

await Promise.all(Array.from({ length: Math.min(CONCURRENCY, selected.length) }, worker));
rmSync(tapDir, { recursive: true, force: true });

const bad = results.filter((r) => r.outcome !== "passed");
const total = results.reduce((n, r) => ({ pass: n.pass + r.counts.pass, fail: n.fail + r.counts.fail, skipped: n.skipped + r.counts.skipped }), { pass: 0, fail: 0, skipped: 0 });
console.log(`\n${results.length} files, ${total.pass} tests passed, ${total.fail} failed, ${total.skipped} skipped, in ${seconds(Date.now() - started)}`);
console.log("slowest files:");
for (const r of [...results].sort((a, b) => b.durationMs - a.durationMs).slice(0, 5)) console.log(`  ${seconds(r.durationMs).padStart(8)}  ${r.file}`);
// Printed last, where a truncated CI log still shows them.
for (const r of bad) {
  console.log(`\nFAILED ${r.file} (${r.outcome}, exit ${r.exitCode ?? "killed"})`);
  const details = failureDetails(r.tap);
  console.log(details || r.output.split("\n").slice(-40).join("\n"));
}
process.exit(bad.length ? 1 : 0);
