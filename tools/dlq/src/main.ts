import { runDlq, UsageError } from "./cli";

try {
  await runDlq(process.argv.slice(2), { out: (l) => console.log(l), env: process.env });
} catch (err) {
  console.error(err instanceof UsageError ? err.message : err);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
