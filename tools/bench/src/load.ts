import autocannon from "autocannon";

export interface LoadResult {
  label: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A fresh body and headers for every request (e.g. a signed webhook that must not repeat). */
  nextRequest?: () => { body: string; headers: Record<string, string> };
  connections: number;
  durationSeconds: number;
}

/** One bounded autocannon run; a short warm-up first so JIT and pools are hot for both contenders. */
export async function measure(label: string, { url, method = "GET", headers = {}, nextRequest, connections, durationSeconds }: LoadOptions): Promise<LoadResult> {
  const requests = nextRequest ? [{ method, setupRequest: (req: autocannon.Request) => ({ ...req, ...nextRequest() }) }] : undefined;
  const run = (duration: number) => autocannon({ url, method, headers, connections, duration, ...(requests ? { requests } : {}) });
  await run(1);
  const result = await run(durationSeconds);
  return {
    label,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function formatTable(results: LoadResult[]): string {
  const rows = results.map((r) =>
    [r.label.padEnd(34), r.requestsPerSecond.toFixed(0).padStart(8), r.p50Ms.toFixed(1).padStart(8), r.p99Ms.toFixed(1).padStart(8), String(r.errors + r.non2xx).padStart(7)].join(" "),
  );
  return [["scenario".padEnd(34), "req/s".padStart(8), "p50 ms".padStart(8), "p99 ms".padStart(8), "errors".padStart(7)].join(" "), ...rows].join("\n");
}

export function report(scenario: string, { results, ratio }: { results: LoadResult[]; ratio: number }, options: { connections: number; durationSeconds: number }): string {
  return [
    `${scenario}: ${options.connections} connections, ${options.durationSeconds} s per contender, 127.0.0.1`,
    formatTable(results),
    `ratio (Parley req/s ÷ baseline req/s): ${ratio.toFixed(3)}`,
  ].join("\n");
}
