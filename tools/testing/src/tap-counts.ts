export interface TapCounts {
  pass: number;
  fail: number;
  skipped: number;
}

/**
 * The totals from a TAP report's closing `# pass N`… lines. A killed file never writes them, so
 * its top-level results are counted instead.
 */
export function tapCounts(tap: string): TapCounts {
  const read = (name: string) => {
    const m = new RegExp(`^# ${name} (\\d+)$`, "m").exec(tap);
    return m ? Number(m[1]) : undefined;
  };
  const pass = read("pass");
  if (pass !== undefined) return { pass, fail: read("fail") ?? 0, skipped: (read("skipped") ?? 0) + (read("todo") ?? 0) };
  const count = (re: RegExp) => tap.match(re)?.length ?? 0;
  return { pass: count(/^ok \d+/gm), fail: count(/^not ok \d+/gm), skipped: 0 };
}

/** The name of the last test, at any depth, whose result the report holds. */
export function lastReported(tap: string): string | undefined {
  const results = [...tap.matchAll(/^\s*(?:not )?ok \d+ - (.*)$/gm)];
  return results.at(-1)?.[1];
}
