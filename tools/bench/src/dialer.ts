// `npm run bench -- dialer`: a campaign of --leads leads (default 2,000) through three voice
// replicas at a global cap of --cap (default 50), the simulator answering every call after a short
// random duration. Measured: slot refill latency (a freed slot to the next waiting lead taking it,
// from voice's own histogram, all replicas), the provider's idle gap (a call ending at the
// simulator to the next dial there), cap utilisation, dials per second and the most live calls the
// simulator saw. In the same run, the baseline: a naive poller that every 10 s counts live calls and
// dials up to the cap, as the earlier systems did.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@parley/testing/support";
import { benchStack } from "./bench-stack";

const POLL_MS = 50;
const RUN_TIMEOUT_MS = 15 * 60_000;
const LEAD_BATCH = 25;
const CALL_MS: [number, number] = [1000, 4000];
const BASELINE_INTERVAL_MS = 10_000;

export interface DialerOptions {
  leads: number;
  cap: number;
  /** How long the baseline poller runs (its throughput is steady: no need to drain the whole list). */
  baselineSeconds: number;
}

export interface DialerRun {
  label: string;
  dials: number;
  seconds: number;
  dialsPerSecond: number;
  /** Mean live calls ÷ cap, from the first dial to the last. */
  utilisation: number;
  maxConcurrent: number;
  rejected429: number;
  /** A call ending at the simulator → the next dial there, while leads were waiting. */
  idleGapP50Ms: number;
  idleGapP99Ms: number;
}

export interface DialerResult extends DialerOptions {
  parley: DialerRun & { refillP50Ms: number; refillP99Ms: number; refills: number };
  baseline: DialerRun;
}

interface SimCall {
  started_at: string;
  ended_at: string | null;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);

/** The simulator's live-call count, sampled until `stop` resolves: the utilisation's numerator. */
function sampleActive(simulatorUrl: string) {
  const samples: { at: number; active: number }[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const stats = await json<{ vapi: { active: number } }>(`${simulatorUrl}/_sim/stats`);
      samples.push({ at: Date.now(), active: stats.vapi.active });
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

/**
 * Figures of one run from the simulator's own record of calls and the sampled live counts, over a
 * window: the campaign's first to last dial, or the poller's whole run (its dials come in bursts).
 */
async function runFigures(label: string, simulatorUrl: string, cap: number, samples: { at: number; active: number }[], window?: { from: number; to: number }): Promise<DialerRun> {
  const stats = await json<{ vapi: { max_concurrent: number; rejected_429: number } }>(`${simulatorUrl}/_sim/stats`);
  const calls = (await json<{ data: SimCall[] }>(`${simulatorUrl}/_sim/calls`)).data;
  const starts = calls.map((c) => Date.parse(c.started_at)).sort((a, b) => a - b);
  const first = window?.from ?? starts[0] ?? 0;
  const last = window?.to ?? starts.at(-1) ?? 0;
  const inWindow = samples.filter((s) => s.at >= first && s.at <= last);
  const meanActive = inWindow.reduce((sum, s) => sum + s.active, 0) / Math.max(1, inWindow.length);
  // Each end is matched with the first dial after it (the slot it freed is what that dial took).
  const ends = calls.flatMap((c) => (c.ended_at ? [Date.parse(c.ended_at)] : [])).filter((t) => t < last).sort((a, b) => a - b);
  const gaps: number[] = [];
  let i = 0;
  for (const end of ends) {
    while (i < starts.length && starts[i]! < end) i++;
    if (i >= starts.length) break;
    gaps.push(starts[i]! - end);
    i++;
  }
  gaps.sort((a, b) => a - b);
  const seconds = (last - first) / 1000;
  return {
    label,
    dials: calls.length,
    seconds,
    dialsPerSecond: calls.length / Math.max(seconds, 0.001),
    utilisation: meanActive / cap,
    maxConcurrent: stats.vapi.max_concurrent,
    rejected429: stats.vapi.rejected_429,
    idleGapP50Ms: percentile(gaps, 0.5),
    idleGapP99Ms: percentile(gaps, 0.99),
  };
}

/** Voice's refill histogram summed over the replicas; percentiles read off its buckets (upper bounds). */
async function refillLatency(opsUrls: string[]): Promise<{ p50Ms: number; p99Ms: number; count: number }> {
  const buckets = new Map<number, number>();
  for (const url of opsUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const m of text.matchAll(/^parley_voice_slot_refill_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)) {
      const le = m[1] === "+Inf" ? Infinity : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const at = (p: number) => (sorted.find(([, n]) => n >= p * count)?.[0] ?? Infinity) * 1000;
  return { p50Ms: at(0.5), p99Ms: at(0.99), count };
}

async function createLeads(gatewayUrl: string, key: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += LEAD_BATCH) {
    const batch = Array.from({ length: Math.min(LEAD_BATCH, count - i) }, (_, j) => i + j);
    ids.push(
      ...(await Promise.all(
        batch.map(async (n) => {
          const lead = await json<{ id: string }>(`${gatewayUrl}/v1/leads`, {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({ phone: `+3466${String(n).padStart(4, "0")}500`, name: `Lead ${n}` }),
          });
          return lead.id;
        }),
      )),
    );
  }
  return ids;
}

/** The earlier systems' dialer: every 10 s, count live calls and dial up to the cap. */
async function baselinePoller(simulatorUrl: string, cap: number, seconds: number): Promise<void> {
  // Webhooks of the baseline's calls go to a sink: the poller only counts.
  const sink = createServer((_, res) => res.end("ok"));
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
  const until = Date.now() + seconds * 1000;
  let n = 0;
  try {
    while (Date.now() < until) {
      const { vapi } = await json<{ vapi: { active: number } }>(`${simulatorUrl}/_sim/stats`);
      await Promise.all(
        Array.from({ length: Math.max(0, cap - vapi.active) }, () =>
          json(`${simulatorUrl}/vapi/call`, {
            method: "POST",
            headers: { authorization: "Bearer sandbox", "content-type": "application/json" },
            body: JSON.stringify({ assistantId: "baseline", phoneNumberId: "sandbox-number", customer: { number: `+3467${String(n++ % 100_000).padStart(5, "0")}55` }, assistantOverrides: { server: { url: sinkUrl } } }),
          }),
        ),
      );
      await new Promise((r) => setTimeout(r, Math.min(BASELINE_INTERVAL_MS, Math.max(0, until - Date.now()))));
    }
  } finally {
    sink.close();
  }
}

async function configureSimulator(simulatorUrl: string, cap: number): Promise<void> {
  await json(`${simulatorUrl}/_sim/reset`, { method: "POST" });
  // The provider's own limit sits above the cap, so going over it would show (and not be refused).
  await json(`${simulatorUrl}/_sim/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ring_ms: 50, call_duration_ms: CALL_MS, webhook_delay_ms: [0, 20], concurrency_limit: { vapi: cap + 20 } }),
  });
}

export async function dialer(options: DialerOptions): Promise<DialerResult> {
  const { leads: leadCount, cap } = options;
  const bench = await benchStack({ voiceEnv: { VOICE_GLOBAL_CAP: String(cap), VOICE_DIAL_CONCURRENCY: "32", VOICE_WEBHOOK_CONCURRENCY: "16" } });
  try {
    const { stack } = bench;
    // Analytics and WhatsApp sit this out: the dialer's path is gateway, leads, voice and the provider.
    await Promise.all([stack.processes.leads.start(), stack.processes.voice.start(), stack.processes.simulator.start()]);
    await stack.processes.gateway.start({ RATE_LIMIT_PER_MINUTE: "100000000" });
    const opsUrls = [`http://127.0.0.1:${bench.ports.ops.voice}`];
    for (let i = 0; i < 2; i++) {
      const ops = await freePort();
      await stack.replica("voice", ops, await freePort()).start();
      opsUrls.push(`http://127.0.0.1:${ops}`);
    }
    const workspace = await json<{ api_key: { secret: string } }>(`${stack.gatewayUrl}/v1/workspaces`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Dialer bench", timezone: "UTC", settings: { calling_hours: { start: "00:00", end: "24:00" }, days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], max_concurrency: cap } }),
    });
    const key = workspace.api_key.secret;
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const leadIds = await createLeads(stack.gatewayUrl, key, leadCount);
    const campaign = await json<{ id: string }>(`${stack.gatewayUrl}/v1/campaigns`, { method: "POST", headers: auth, body: JSON.stringify({ name: "Bench", lead_ids: leadIds }) });

    await configureSimulator(stack.simulatorUrl, cap);
    const sampler = sampleActive(stack.simulatorUrl);
    await json(`${stack.gatewayUrl}/v1/campaigns/${campaign.id}/start`, { method: "POST", headers: { authorization: auth.authorization } });
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const c = await json<{ status: string; progress: unknown }>(`${stack.gatewayUrl}/v1/campaigns/${campaign.id}`, { headers: { authorization: auth.authorization } });
      if (c.status === "completed") break;
      if (Date.now() > deadline) throw new Error(`the campaign did not complete: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await sampler.stop();
    const parley = await runFigures("parley (event-driven, 3 replicas)", stack.simulatorUrl, cap, sampler.samples);
    const refill = await refillLatency(opsUrls);

    await configureSimulator(stack.simulatorUrl, cap);
    const baselineSampler = sampleActive(stack.simulatorUrl);
    const from = Date.now();
    await baselinePoller(stack.simulatorUrl, cap, options.baselineSeconds);
    await baselineSampler.stop();
    const baseline = await runFigures("baseline (10-second poller)", stack.simulatorUrl, cap, baselineSampler.samples, { from, to: Date.now() });
    return { ...options, parley: { ...parley, refillP50Ms: refill.p50Ms, refillP99Ms: refill.p99Ms, refills: refill.count }, baseline };
  } finally {
    await bench.dispose();
  }
}

export function dialerReport(r: DialerResult): string {
  const row = (run: DialerRun) =>
    `| ${run.label} | ${run.dials} | ${run.seconds.toFixed(1)} s | ${run.dialsPerSecond.toFixed(2)} | ${(run.utilisation * 100).toFixed(1)} % | ${run.maxConcurrent} | ${run.idleGapP50Ms} / ${run.idleGapP99Ms} ms |`;
  return [
    `dialer: ${r.leads} leads, cap ${r.cap}, calls ${CALL_MS[0]}–${CALL_MS[1]} ms at the simulator; baseline polled for ${r.baselineSeconds} s`,
    "",
    "| run | dials | window | dials/s | cap utilisation | max live at the provider | provider idle gap p50 / p99 |",
    "|---|---|---|---|---|---|---|",
    row(r.parley),
    row(r.baseline),
    "",
    `slot refill (freed → next waiting lead claimed, voice's histogram over ${r.parley.refills} refills): p50 ≤ ${r.parley.refillP50Ms} ms, p99 ≤ ${r.parley.refillP99Ms} ms`,
    `ratio dials/s parley ÷ baseline: ${(r.parley.dialsPerSecond / r.baseline.dialsPerSecond).toFixed(2)}; cap never exceeded: ${r.parley.maxConcurrent <= r.cap ? "yes" : "NO"}`,
  ].join("\n");
}
