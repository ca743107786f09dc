// Node 20's test runner takes no globs, so we collect the test files ourselves and hand them over.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { failureDetails } from "./failure-details";

const roots = ["packages", "services", "tools"];
const skipDirs = new Set(["node_modules", "generated", "gen", ".parley"]);

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
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error(`no test files match ${filter.join(" ")}`);
  process.exit(1);
}

// A TAP copy beside the spec output: when a run fails, the failures' full details (exit code, the
// error raised after a test ended) are printed last, where a truncated CI log still shows them.
const tapDir = mkdtempSync(join(tmpdir(), "parley-tests-"));
const tapFile = join(tapDir, "results.tap");
const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=3",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    ...selected.sort(),
  ],
  { stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } },
);
child.on("exit", (code, signal) => {
  const status = code ?? (signal ? 1 : 0);
  if (status !== 0) {
    const details = failureDetails(readFileSync(tapFile, "utf8"));
    if (details) console.log(`\nfailure details (from the TAP report):\n${details}`);
  }
  rmSync(tapDir, { recursive: true, force: true });
  process.exit(status);
});
