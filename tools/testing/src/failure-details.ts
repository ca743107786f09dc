/**
 * The parts of a TAP report that explain a failure: each `not ok` line with its YAML block, and
 * diagnostics that carry an error (Node reports errors raised after a test ended that way).
 */
export function failureDetails(tap: string): string {
  const out: string[] = [];
  const lines = tap.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\s*not ok /.test(line)) {
      out.push(line);
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      let j = i + 1;
      if (/^\s*---\s*$/.test(lines[j] ?? "")) {
        for (; j < lines.length; j++) {
          out.push(lines[j] ?? "");
          if (j > i + 1 && /^\s*\.\.\.\s*$/.test(lines[j] ?? "") && (/^\s*/.exec(lines[j] ?? "")?.[0].length ?? 0) >= indent) break;
        }
      }
      i = j;
    } else if (/^\s*# .*(Error|asynchronous activity|uncaught|unhandled)/i.test(line)) {
      out.push(line);
    }
  }
  return out.join("\n").trim();
}
