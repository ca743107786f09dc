// `npm run bench -- whatsapp`: inbound WhatsApp message → agent reply accepted by the provider,
// through the real services as processes (gateway ingress, WEBHOOKS, whatsapp's consumer, leads over
// gRPC, the agent turn, the send) against the simulator's Twilio and OpenAI fake. Messages from
// distinct leads arrive open-loop at --rate per second; each one's latency is the simulator's
// inbound webhook → the reply reaching the simulator, minus that turn's LLM time (whatsapp stores it
// per turn). The quiet period is set to 0 for the run. In the same run, the baseline: a bare Fastify
// route that answers the same webhook straight away through the same simulator API.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import pg from "pg";
import { freePort } from "@parley/testing/support";
import { benchStack } from "./bench-stack";

const ROOT = new URL("../../..", import.meta.url).pathname;
const TWILIO = { account_sid: `AC${"b".repeat(32)}`, auth_token: "bench-twilio-token", whatsapp_from: "+14155550100" };
const REPLIES_TIMEOUT_MS = 180_000;

export interface WhatsAppBenchOptions {
  messages: number;
  rate: number;
}

export interface LatencyRun {
  label: string;
  replies: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** p50 of each step, ms: where Parley's time goes. */
export interface Phases {
  /** The simulator's webhook → the inbound message stored (gateway, WEBHOOKS, consumer, leads). */
  ingest: number;
  /** Stored → its turn opened (the worker woken, the conversation claimed). */
  claim: number;
  /** Turn opened → reply stored, minus the LLM: profile, lead and history reads. */
  prepare: number;
  llm: number;
  /** Reply stored → the send begins (consent, credentials). */
  toSend: number;
  /** The send begins → the simulator has the message. */
  send: number;
}

export interface WhatsAppBenchResult extends WhatsAppBenchOptions {
  parley: LatencyRun & { phases: Phases };
  baseline: LatencyRun;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  json<unknown>(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);

function summary(label: string, latencies: number[]): LatencyRun {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { label, replies: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0 };
}

interface Exchange {
  /** When the simulator was asked to send the inbound webhook. */
  sentAt: number;
  /** When the simulator took the reply. */
  repliedAt: number;
}

/**
 * Sends `messages` inbound messages from distinct customers at `rate` per second through the
 * simulator and waits for a reply to each; per customer, when each happened.
 */
async function drive(simulatorUrl: string, business: string, customerPrefix: string, { messages, rate }: WhatsAppBenchOptions): Promise<Map<string, Exchange>> {
  const sentAt = new Map<string, number>();
  const inbound: Promise<unknown>[] = [];
  const start = Date.now();
  for (let i = 0; i < messages; i++) {
    const wait = start + (i * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Spanish mobiles ending in 5: never one of the simulator's test numbers (…0201 is refused).
    const from = `+346${customerPrefix}${String(i).padStart(5, "0")}5`;
    sentAt.set(from, Date.now());
    inbound.push(post(`${simulatorUrl}/_sim/whatsapp/inbound`, { provider: "twilio", from, to: business, text: "Hi, how much are the panels?" }));
  }
  await Promise.all(inbound);
  const deadline = Date.now() + REPLIES_TIMEOUT_MS;
  for (;;) {
    const outbox = (await json<{ data: { to: string; created_at: string }[] }>(`${simulatorUrl}/_sim/whatsapp/outbox`)).data;
    const replies = new Map<string, Exchange>();
    for (const m of outbox) if (sentAt.has(m.to) && !replies.has(m.to)) replies.set(m.to, { sentAt: sentAt.get(m.to)!, repliedAt: Date.parse(m.created_at) });
    if (replies.size === messages) return replies;
    if (Date.now() > deadline) throw new Error(`only ${replies.size} of ${messages} messages were answered within ${REPLIES_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One customer's path through whatsapp, from its rows: when each step began. */
interface TurnTimes {
  inboundAt: number;
  turnAt: number;
  generateMs: number;
  replyAt: number;
  sendAt: number;
}

/** Each customer's turn as whatsapp recorded it: its LLM time, and when each step began. */
async function turnTimes(databaseUrl: string): Promise<Map<string, TurnTimes>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ customer: string; inbound_at: Date; turn_at: Date; generate_ms: number; reply_at: Date; send_at: Date }>(
      `select c.customer, (select min(m.created_at) from messages m where m.conversation_id = c.id and m.direction = 'inbound') as inbound_at,
              t.created_at as turn_at, t.generate_ms, r.created_at as reply_at, r.send_started_at as send_at
         from agent_turns t join conversations c on c.id = t.conversation_id join messages r on r.id = t.reply_message_id
        where t.generate_ms is not null and r.send_started_at is not null`,
    );
    return new Map(rows.map((r) => [r.customer, { inboundAt: r.inbound_at.getTime(), turnAt: r.turn_at.getTime(), generateMs: r.generate_ms, replyAt: r.reply_at.getTime(), sendAt: r.send_at.getTime() }]));
  } finally {
    await client.end();
  }
}

async function launch(name: string, script: string, env: NodeJS.ProcessEnv, readyUrl?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, env: { ...process.env, ...env, PARLEY_EXIT_WITH_PARENT: "1" }, stdio: ["pipe", "pipe", "inherit"] });
  const started = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", () => resolve());
  });
  await started;
  if (readyUrl) while (!(await fetch(readyUrl).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 100));
  return child;
}

async function parleyRun(options: WhatsAppBenchOptions): Promise<WhatsAppBenchResult["parley"]> {
  const bench = await benchStack({ env: { AGENT_QUIET_MS: "0" } });
  try {
    const { stack } = bench;
    await Promise.all([stack.processes.leads.start(), stack.processes.voice.start(), stack.processes.whatsapp.start(), stack.processes.simulator.start()]);
    await stack.processes.gateway.start();
    const ws = await bench.workspace();
    const put = await fetch(`${stack.gatewayUrl}/v1/integrations/twilio`, { method: "PUT", headers: { authorization: `Bearer ${ws.key}`, "content-type": "application/json" }, body: JSON.stringify(TWILIO) });
    if (!put.ok) throw new Error(`cannot store the bench's Twilio integration: ${put.status} ${await put.text()}`);
    await post(`${stack.simulatorUrl}/_sim/whatsapp/accounts`, { provider: "twilio", account_sid: TWILIO.account_sid, auth_token: TWILIO.auth_token, number: TWILIO.whatsapp_from });
    // Warm-up: connections, JIT and caches (integration, sender) hot before the measured run.
    await drive(stack.simulatorUrl, TWILIO.whatsapp_from, "70", { messages: Math.min(20, options.messages), rate: options.rate });
    const exchanges = await drive(stack.simulatorUrl, TWILIO.whatsapp_from, "71", options);
    const times = await turnTimes(stack.databaseUrls.whatsapp);
    const customers = [...exchanges.keys()];
    const p50 = (f: (t: TurnTimes, customer: string) => number) => percentile(customers.flatMap((c) => (times.has(c) ? [f(times.get(c)!, c)] : [])).sort((a, b) => a - b), 0.5);
    const sentAt = (c: string) => exchanges.get(c)!.sentAt;
    const arrived = (c: string) => exchanges.get(c)!.repliedAt;
    const phases: Phases = {
      ingest: p50((t, c) => t.inboundAt - sentAt(c)),
      claim: p50((t) => t.turnAt - t.inboundAt),
      prepare: p50((t) => t.replyAt - t.turnAt - t.generateMs),
      llm: p50((t) => t.generateMs),
      toSend: p50((t) => t.sendAt - t.replyAt),
      send: p50((t, c) => arrived(c) - t.sendAt),
    };
    const overhead = customers.map((c) => arrived(c) - sentAt(c) - (times.get(c)?.generateMs ?? 0));
    return { ...summary("parley (gateway → bus → whatsapp → leads → agent → send)", overhead), phases };
  } finally {
    await bench.dispose();
  }
}

async function baselineRun(options: WhatsAppBenchOptions): Promise<LatencyRun> {
  const [simulatorPort, baselinePort] = [await freePort(), await freePort()];
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  const children: ChildProcess[] = [];
  try {
    children.push(await launch("baseline simulator", "tools/simulator/src/main.ts", { SIMULATOR_PORT: String(simulatorPort), PARLEY_URL: `http://127.0.0.1:${baselinePort}` }, `${simulatorUrl}/healthz`));
    children.push(
      await launch("baseline server", "tools/bench/src/whatsapp-baseline-server.ts", { BASELINE_PORT: String(baselinePort), BASELINE_SIMULATOR_URL: simulatorUrl, BASELINE_ACCOUNT_SID: TWILIO.account_sid, BASELINE_AUTH_TOKEN: TWILIO.auth_token }),
    );
    await post(`${simulatorUrl}/_sim/whatsapp/accounts`, { provider: "twilio", account_sid: TWILIO.account_sid, auth_token: TWILIO.auth_token, number: TWILIO.whatsapp_from });
    await drive(simulatorUrl, TWILIO.whatsapp_from, "70", { messages: Math.min(20, options.messages), rate: options.rate });
    const exchanges = await drive(simulatorUrl, TWILIO.whatsapp_from, "71", options);
    return summary("bare Fastify route answering at once (baseline)", [...exchanges.values()].map((e) => e.repliedAt - e.sentAt));
  } finally {
    for (const child of children) child.kill("SIGTERM");
  }
}

export async function whatsappBench(options: WhatsAppBenchOptions): Promise<WhatsAppBenchResult> {
  const baseline = await baselineRun(options);
  const parley = await parleyRun(options);
  return { ...options, parley, baseline };
}

export function whatsappReport(r: WhatsAppBenchResult): string {
  const row = (run: LatencyRun) => `| ${run.label} | ${run.replies} | ${run.p50Ms} ms | ${run.p99Ms} ms | ${run.maxMs} ms |`;
  return [
    `whatsapp: ${r.messages} inbound messages from distinct leads at ${r.rate}/s (Twilio, simulator); quiet period 0; LLM time excluded per turn`,
    "",
    "| path | replies | inbound → reply p50 | p99 | max |",
    "|---|---|---|---|---|",
    row(r.parley),
    row(r.baseline),
    "",
    `where Parley's time goes (p50 per step, ms): ingest ${r.parley.phases.ingest} → turn claimed ${r.parley.phases.claim} → prepare ${r.parley.phases.prepare} + LLM ${r.parley.phases.llm} (excluded above) → to send ${r.parley.phases.toSend} → send ${r.parley.phases.send}`,
    `ratio parley ÷ baseline: p50 ${(r.parley.p50Ms / Math.max(1, r.baseline.p50Ms)).toFixed(1)}×, p99 ${(r.parley.p99Ms / Math.max(1, r.baseline.p99Ms)).toFixed(1)}×`,
  ].join("\n");
}
