import { problem, type Problem } from "@parley/errors";

export type ReadinessCheck = () => Promise<void>;

export type Readiness = { ready: true; body: { status: "ready"; checks: Record<string, string> } } | { ready: false; body: Problem };

/** Runs every check at once; ready only if all pass, otherwise a 503 problem naming the failing ones. */
export async function evaluateReadiness(checks: Record<string, ReadinessCheck>): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await check();
        return [name, "ok"] as const;
      } catch (err) {
        return [name, (err as Error).message || "failed"] as const;
      }
    }),
  );
  const checked = Object.fromEntries(results);
  const failing = results.filter(([, r]) => r !== "ok");
  if (!failing.length) return { ready: true, body: { status: "ready", checks: checked } };
  return { ready: false, body: problem(503, "Not Ready", failing.map(([n, r]) => `${n}: ${r}`).join("; "), { checks: checked }) };
}

/** The check every process has: not ready while starting or stopping. */
export function lifecycleCheck(isReady: () => boolean): ReadinessCheck {
  return async () => {
    if (!isReady()) throw new Error("starting or stopping");
  };
}
