// `npm run bench -- analysis`: voice.call_ended events for real ended calls, analysed by analytics
// against the simulator's OpenAI fake at 800 ms. Measures insights per second at the configured
// ANALYSIS_CONCURRENCY, call end → insight stored, and the LLM requests made, against the ceiling
// concurrency ÷ latency of this run.
import { jetstream } from "@nats-io/jetstream";
import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import pg from "pg";
import { HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_WORKSPACE, eventSubject, withPrefix } from "@parley/bus";
import { events } from "@parley/proto";
import { benchStack } from "./bench-stack";

const LLM_LATENCY_MS = 800;
const INSIGHTS_TIMEOUT_MS = 10 * 60_000;
const LEAD_EVENTS_TIMEOUT_MS = 60_000;
const POLL_INTERVAL_MS = 100;
/** Leads created at once through the gateway. */
const LEAD_BATCH = 25;
/** Every tenth call is too short to analyse: the skip path runs, and costs no LLM request. */
const INELIGIBLE_EVERY = 10;
const TOO_SHORT = "User: Hello? Bye.";
/** Conversations the fake reads differently: interested, not interested, a meeting on Tuesday. */
const CONVERSATIONS: ((name: string) => string)[] = [
  (name) => `AI: Hi ${name}, this is Sam from Parley with a quick question about your growth plans.\nUser: Sure, we are interested, tell me more about pricing.\nAI: Great, I will send the details over today. Thanks!`,
  (name) => `AI: Hi ${name}, this is Sam from Parley. Do you have a minute?\nUser: Honestly, we are not interested right now.\nAI: Understood, thanks for your time. Have a good day.`,
  (name) => `AI: Hi ${name}, this is Sam from Parley. Could we show you a short demo?\nUser: Yes, sounds good. Can we meet on Tuesday at 10am?\nAI: Booked for Tuesday at 10am. Talk soon!`,
];

export interface AnalysisOptions {
  calls: number;
  concurrency: number;
}

export interface AnalysisResult extends AnalysisOptions {
  eligible: number;
  latencyMs: number;
  /** First publish to the last insight stored. */
  seconds: number;
  insightsPerSecond: number;
  /** The best the worker can do: eligible calls at `concurrency` requests per latency, skips free. */
  ceilingPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  succeeded: number;
  skipped: number;
  failed: number;
  llmRequests: number;
}

interface BenchLead {
  id: string;
  name: string;
  phone: string;
}

interface BenchCall {
  id: string;
  lead: BenchLead;
  transcript: string;
  eligible: boolean;
  durationSeconds: number;
  cost: number;
}

/** Reads until `done`, every POLL_INTERVAL_MS; past the timeout, fails with what was last read. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, failure: (last: T) => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(failure(value));
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

async function createLead(gatewayUrl: string, key: string, n: number): Promise<BenchLead> {
  const lead = { name: `Bench Lead ${n}`, phone: `+1415555${String(n).padStart(4, "0")}` };
  const res = await fetch(`${gatewayUrl}/v1/leads`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ ...lead, tags: ["bench"] }),
  });
  if (!res.ok) throw new Error(`cannot create lead ${lead.phone}: ${res.status} ${await res.text()}`);
  return { ...lead, id: ((await res.json()) as { id: string }).id };
}

async function createLeads(gatewayUrl: string, key: string, count: number): Promise<BenchLead[]> {
  const leads: BenchLead[] = [];
  for (let start = 0; start < count; start += LEAD_BATCH) {
    const batch = Array.from({ length: Math.min(LEAD_BATCH, count - start) }, (_, i) => createLead(gatewayUrl, key, start + i));
    leads.push(...(await Promise.all(batch)));
  }
  return leads;
}

function benchCalls(leads: BenchLead[]): BenchCall[] {
  return leads.map((lead, n) => {
    const eligible = n % INELIGIBLE_EVERY !== INELIGIBLE_EVERY - 1;
    const conversation = CONVERSATIONS[n % CONVERSATIONS.length]!;
    const durationSeconds = 30 + (n % 7) * 15;
    return { id: `call_bench_${n}`, lead, transcript: eligible ? conversation(lead.name) : TOO_SHORT, eligible, durationSeconds, cost: durationSeconds * 0.002 };
  });
}

/** Ended calls as voice stores them once the provider's report is in: transcript and cost set. */
async function insertEndedCalls(voiceDatabaseUrl: string, workspaceId: string, calls: BenchCall[]): Promise<void> {
  const db = new pg.Client({ connectionString: voiceDatabaseUrl });
  await db.connect();
  try {
    await db.query(
      `insert into calls (id, workspace_id, lead_id, assistant_id, provider, provider_call_id, status, ended_reason, to_number, transcript, duration_seconds, cost, answered_at, ended_at, direction)
       select id, $1, lead_id, 'bench', 'vapi', 'vapi_' || id, 'ended', 'completed', to_number, transcript, duration, cost, now() - make_interval(secs => duration), now(), 'outbound'
       from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::float8[]) as t(id, lead_id, to_number, transcript, duration, cost)`,
      [workspaceId, calls.map((c) => c.id), calls.map((c) => c.lead.id), calls.map((c) => c.lead.phone), calls.map((c) => c.transcript), calls.map((c) => c.durationSeconds), calls.map((c) => c.cost)],
    );
  } finally {
    await db.end();
  }
}

async function simulator<T>(simulatorUrl: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${simulatorUrl}${path}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const openAiRequests = async (simulatorUrl: string) => (await simulator<{ openai: { requests: number } }>(simulatorUrl, "/_sim/stats")).openai.requests;

/** Publishes like voice's outbox relay does; each call ends as its event is sent. Returns the first send's time. */
async function publishCallsEnded(natsUrl: string, subjectPrefix: string, workspaceId: string, calls: BenchCall[]): Promise<Date> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    const firstPublishAt = new Date();
    await Promise.all(
      calls.map((call, n) => {
        const endedAt = n === 0 ? firstPublishAt : new Date();
        const eventId = `evt_${call.id}`;
        const payload = events.CallEnded.encode({
          eventId,
          occurredAt: endedAt,
          workspaceId,
          callId: call.id,
          leadId: call.lead.id,
          provider: "vapi",
          endedReason: "completed",
          durationSeconds: call.durationSeconds,
          cost: call.cost,
          hasTranscript: true,
          campaignId: "",
          endedAt,
        }).finish();
        const h = natsHeaders();
        h.set(HEADER_EVENT_ID, eventId);
        h.set(HEADER_EVENT_TYPE, "voice.call_ended");
        h.set(HEADER_WORKSPACE, workspaceId);
        return js.publish(withPrefix(eventSubject("voice", "call_ended", workspaceId), subjectPrefix), payload, { msgID: eventId, headers: h });
      }),
    );
    return firstPublishAt;
  } finally {
    await nc.drain();
  }
}

interface InsightFigures {
  final: number;
  succeeded: number;
  skipped: number;
  failed: number;
  p50Ms: number | null;
  p99Ms: number | null;
  lastStoredAt: Date | null;
}

/** Counts come back from pg as strings (bigint). */
type InsightRow = Omit<InsightFigures, "final" | "succeeded" | "skipped" | "failed"> & Record<"final" | "succeeded" | "skipped" | "failed", string>;

/** The run's databases are fresh, so every insight row is one of the bench calls. */
async function insightFigures(db: pg.Client): Promise<InsightFigures> {
  const { rows } = await db.query<InsightRow>(
    `select count(*) filter (where status in ('succeeded', 'skipped', 'failed')) as "final",
            count(*) filter (where status = 'succeeded') as "succeeded",
            count(*) filter (where status = 'skipped') as "skipped",
            count(*) filter (where status = 'failed') as "failed",
            percentile_cont(0.5) within group (order by extract(epoch from updated_at - ended_at) * 1000) as "p50Ms",
            percentile_cont(0.99) within group (order by extract(epoch from updated_at - ended_at) * 1000) as "p99Ms",
            max(updated_at) as "lastStoredAt"
     from call_insights`,
  );
  const row = rows[0]!;
  return { ...row, final: Number(row.final), succeeded: Number(row.succeeded), skipped: Number(row.skipped), failed: Number(row.failed) };
}

async function leadsCounted(db: pg.Client, workspaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: string | null }>("select sum(leads_created) as n from lead_stats where workspace_id = $1", [workspaceId]);
  return Number(rows[0]?.n ?? 0);
}

export async function analysis({ calls: callCount, concurrency }: AnalysisOptions): Promise<AnalysisResult> {
  const bench = await benchStack();
  const { stack } = bench;
  const analyticsDb = new pg.Client({ connectionString: stack.databaseUrls.analytics });
  try {
    await Promise.all([stack.processes.leads.start(), stack.processes.voice.start(), stack.processes.simulator.start()]);
    await stack.processes.analytics.start({ ANALYSIS_CONCURRENCY: String(concurrency) });
    // The limiter must not throttle the lead set-up.
    await stack.processes.gateway.start({ RATE_LIMIT_PER_MINUTE: "100000000" });
    await analyticsDb.connect();
    const workspace = await bench.workspace();
    const calls = benchCalls(await createLeads(stack.gatewayUrl, workspace.key, callCount));
    await insertEndedCalls(stack.databaseUrls.voice, workspace.id, calls);
    // analytics also consumes the leads' lead_created events: let them pass before the clock starts.
    await pollUntil(() => leadsCounted(analyticsDb, workspace.id), (n) => n >= callCount, LEAD_EVENTS_TIMEOUT_MS, (n) => `analytics counted ${n} of ${callCount} leads`);

    await simulator(stack.simulatorUrl, "/_sim/config", { openai: { latency_ms: LLM_LATENCY_MS } });
    const requestsBefore = await openAiRequests(stack.simulatorUrl);
    const firstPublishAt = await publishCallsEnded(bench.natsUrl, bench.subjectPrefix, workspace.id, calls);
    const figures = await pollUntil(
      () => insightFigures(analyticsDb),
      (f) => f.final === callCount,
      INSIGHTS_TIMEOUT_MS,
      (f) => `insights not final within ${INSIGHTS_TIMEOUT_MS / 1000} s: ${f.final} of ${callCount} (${f.succeeded} succeeded, ${f.skipped} skipped, ${f.failed} failed)`,
    );
    const llmRequests = (await openAiRequests(stack.simulatorUrl)) - requestsBefore;

    const eligible = calls.filter((c) => c.eligible).length;
    const seconds = (figures.lastStoredAt!.getTime() - firstPublishAt.getTime()) / 1000;
    const bestSeconds = (eligible * LLM_LATENCY_MS) / 1000 / concurrency;
    return {
      calls: callCount,
      concurrency,
      eligible,
      latencyMs: LLM_LATENCY_MS,
      seconds,
      insightsPerSecond: callCount / seconds,
      ceilingPerSecond: callCount / bestSeconds,
      p50Ms: figures.p50Ms!,
      p99Ms: figures.p99Ms!,
      succeeded: figures.succeeded,
      skipped: figures.skipped,
      failed: figures.failed,
      llmRequests,
    };
  } finally {
    await analyticsDb.end().catch(() => undefined);
    await bench.dispose();
  }
}

export const llmRequestsMatch = (r: AnalysisResult) => r.llmRequests === r.eligible;

export function analysisReport(r: AnalysisResult): string {
  const latencySeconds = r.latencyMs / 1000;
  const row = (label: string, perSecond: string, p50: string, p99: string) => [label.padEnd(44), perSecond.padStart(10), p50.padStart(9), p99.padStart(9)].join(" ");
  return [
    `analysis: ${r.calls} call_ended events (${r.eligible} eligible, ${r.calls - r.eligible} too short), OpenAI fake at ${r.latencyMs} ms, ANALYSIS_CONCURRENCY=${r.concurrency}, 127.0.0.1`,
    row("scenario", "insights/s", "p50 ms", "p99 ms"),
    row(`ceiling (${r.concurrency} ÷ ${latencySeconds} s per eligible call)`, r.ceilingPerSecond.toFixed(2), "-", "-"),
    row("call_ended → insight stored", r.insightsPerSecond.toFixed(2), r.p50Ms.toFixed(0), r.p99Ms.toFixed(0)),
    `insights: ${r.succeeded} succeeded, ${r.skipped} skipped, ${r.failed} failed in ${r.seconds.toFixed(1)} s (ceiling ${((r.eligible * latencySeconds) / r.concurrency).toFixed(1)} s)`,
    `LLM requests: ${r.llmRequests} for ${r.eligible} eligible calls: ${llmRequestsMatch(r) ? "OK" : "MISMATCH"}`,
    `ratio (measured insights/s ÷ ceiling): ${(r.insightsPerSecond / r.ceilingPerSecond).toFixed(3)}`,
  ].join("\n");
}
