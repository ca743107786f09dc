// For the gateway's tests: the real gateway in front of the real leads, voice and whatsapp services
// and the provider simulator, on databases and a subject prefix of this run.
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { deleteStreams } from "@parley/bus";
import { Keyring } from "@parley/crypto";
import { startAnalyticsService } from "@parley/analytics-service/app";
import { startLeadsService } from "@parley/leads-service/app";
import { cleanup, createTestDatabase, freePort, NATS_URL, requireNats, uniqueId } from "@parley/testing";
import { buildSimulator } from "@parley/tool-simulator/app";
import { startVoiceService } from "@parley/voice-service/app";
import { startWhatsAppService } from "@parley/whatsapp-service/app";
import { startGateway } from "./app";
import { ServiceReplica } from "./service-replica";

export const ADMIN = "test-admin-token-0123456789";
export const RECORDING_SECRET = "recording-link-secret-for-tests-0123456789";

export interface Res {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

export interface TestStack {
  base: string;
  leadsGrpc: string;
  voiceDbUrl: string;
  /** With `voiceProcesses`: the replicas (the gateway talks to the first). */
  voiceReplicas: ServiceReplica[];
  /** With `whatsappProcess`: the whatsapp service's process. */
  whatsappReplica?: ServiceReplica;
  prefix: string;
  sim: Awaited<ReturnType<typeof buildSimulator>>;
  simUrl: string;
  /** The keyring voice seals integrations with (PARLEY_ENCRYPTION_KEYS). */
  encryptionKeys: string;
  call(method: string, path: string, options?: RequestOptions): Promise<Res>;
  newWorkspace(name?: string): Promise<{ id: string; key: string }>;
  /** A workspace (UTC) whose calling hours are always open, so calls are never refused by the clock. */
  allDayWorkspace(settings?: Record<string, unknown>): Promise<{ id: string; key: string }>;
  callableLead(key: string, phone: string): Promise<string>;
  /** The call once ended, and for an answered call also its report (transcript), which may follow the end. */
  untilEnded(key: string, id: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The lead once its timeline has an entry of this kind (events reach leads asynchronously). */
  untilTimeline(key: string, leadId: string, kind: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The simulator's control API: GET a path's JSON; POST a body and expect a 2xx. */
  simGet(path: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  simPost(path: string, body: unknown): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Reads until `done` holds, every 100 ms; past the deadline, fails naming what it waited for and the last value. */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestStackOptions {
  /** More voice settings (caps, lease and dispatch timings). */
  voiceEnv?: Record<string, string>;
  /** The in-process voice service's clock. */
  now?: () => Date;
  /** More gateway settings. */
  gatewayEnv?: Record<string, string>;
  /** Voice runs as this many replicas in processes of their own (killable), instead of in-process. */
  voiceProcesses?: number;
  /** More whatsapp settings (the agent's quiet period, retries). */
  whatsappEnv?: Record<string, string>;
  /** Whatsapp runs in a process of its own (killable), instead of in-process. */
  whatsappProcess?: boolean;
}

/** Starts everything; stopped by the file's cleanup hooks. */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  await requireNats();
  const prefix = uniqueId();
  // Registered first, so it runs last: after every service has stopped using the streams.
  cleanup(async () => {
    const nc = await connect({ servers: NATS_URL });
    await deleteStreams(await jetstreamManager(nc), prefix);
    await nc.close();
  });
  const leads = await startLeadsService({ DATABASE_URL: await createTestDatabase("gw_leads"), PARLEY_SUBJECT_PREFIX: prefix, GRPC_PORT: "0", HTTP_PORT: "0", LOG_LEVEL: "silent", DB_POOL_SIZE: "4" });
  cleanup(() => leads.stop());
  const voiceDbUrl = await createTestDatabase("gw_voice");
  // Chosen first: providers (the simulator) and voice must know where the gateway will listen.
  const gatewayPort = await freePort();
  const sim = await buildSimulator({ parleyUrl: `http://127.0.0.1:${gatewayPort}` });
  const simUrl = await sim.app.listen({ port: 0, host: "127.0.0.1" });
  cleanup(() => sim.app.close());
  const encryptionKeys = Keyring.generateEntry("k1");
  // Small pools: test files run side by side against one Postgres (100 connections by default).
  const channel = { PARLEY_SUBJECT_PREFIX: prefix, GRPC_PORT: "0", HTTP_PORT: "0", LOG_LEVEL: "silent", PARLEY_ENCRYPTION_KEYS: encryptionKeys, DB_POOL_SIZE: "3" };
  const voiceEnv = {
    ...channel,
    DATABASE_URL: voiceDbUrl,
    LEADS_GRPC_ADDR: leads.grpcAddress,
    VAPI_BASE_URL: `${simUrl}/vapi`,
    BOLNA_BASE_URL: `${simUrl}/bolna`,
    RETELL_BASE_URL: `${simUrl}/retell`,
    CALCOM_BASE_URL: `${simUrl}/calcom`,
    VOICE_SANDBOX: "true",
    PARLEY_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    // Calls whose webhooks never come are read back after 1.5 s here (10 min by default).
    VOICE_RECONCILE_INTERVAL_MS: "200",
    VOICE_STUCK_AFTER_MS: "1500",
    ...options.voiceEnv,
  };
  const voiceReplicas: ServiceReplica[] = [];
  let voiceAddress: string;
  if (options.voiceProcesses) {
    for (let i = 0; i < options.voiceProcesses; i++) {
      const replica = await ServiceReplica.start("voice", voiceEnv);
      cleanup(() => replica.stop());
      voiceReplicas.push(replica);
    }
    voiceAddress = voiceReplicas[0]!.grpcAddress;
  } else {
    const voice = await startVoiceService(voiceEnv, { now: options.now });
    cleanup(() => voice.stop());
    voiceAddress = voice.grpcAddress;
  }
  const whatsappEnv = {
    ...channel,
    DATABASE_URL: await createTestDatabase("gw_whatsapp"),
    LEADS_GRPC_ADDR: leads.grpcAddress,
    VOICE_GRPC_ADDR: voiceAddress,
    PARLEY_PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    TWILIO_BASE_URL: `${simUrl}/twilio`,
    META_BASE_URL: `${simUrl}/meta/v21.0`,
    OPENAI_BASE_URL: `${simUrl}/openai/v1`,
    OPENAI_API_KEY: "sandbox",
    AGENT_MAX_RETRIES: "2",
    AGENT_RETRY_BASE_MS: "200",
    ...options.whatsappEnv,
  };
  const whatsappReplica = options.whatsappProcess ? await ServiceReplica.start("whatsapp", whatsappEnv) : undefined;
  const whatsapp = whatsappReplica ?? (await startWhatsAppService(whatsappEnv));
  cleanup(() => whatsapp.stop());
  const analytics = await startAnalyticsService({
    ...channel,
    DATABASE_URL: await createTestDatabase("gw_analytics"),
    LEADS_GRPC_ADDR: leads.grpcAddress,
    VOICE_GRPC_ADDR: voiceAddress,
    OPENAI_BASE_URL: `${simUrl}/openai/v1`,
    OPENAI_API_KEY: "sandbox",
    // The fake's injected 429s are retried quickly here.
    ANALYSIS_MAX_RETRIES: "2",
  });
  cleanup(() => analytics.stop());
  const gateway = await startGateway({
    DATABASE_URL: await createTestDatabase("gw"),
    GATEWAY_PORT: String(gatewayPort),
    PARLEY_ADMIN_TOKEN: ADMIN,
    RECORDING_LINK_SECRET: RECORDING_SECRET,
    PARLEY_SUBJECT_PREFIX: prefix,
    LEADS_GRPC_ADDR: leads.grpcAddress,
    VOICE_GRPC_ADDR: voiceAddress,
    WHATSAPP_GRPC_ADDR: whatsapp.grpcAddress,
    ANALYTICS_GRPC_ADDR: analytics.grpcAddress,
    RATE_LIMIT_PER_MINUTE: "1000",
    BODY_LIMIT_BYTES: "4096",
    DB_POOL_SIZE: "3",
    LOG_LEVEL: "silent",
    ...options.gatewayEnv,
  });
  cleanup(() => gateway.stop());
  const base = gateway.url;

  async function call(method: string, path: string, { token, body, headers = {}, raw }: RequestOptions = {}): Promise<Res> {
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  async function newWorkspace(name = "Acme") {
    const res = await call("POST", "/v1/workspaces", { token: ADMIN, body: { name, timezone: "Europe/Madrid", settings: { default_country: "ES" } } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.workspace.id as string, key: res.body.api_key.secret as string };
  }

  async function allDayWorkspace(extra: Record<string, unknown> = {}) {
    const res = await call("POST", "/v1/workspaces", {
      token: ADMIN,
      body: { name: "Dialer", timezone: "UTC", settings: { calling_hours: { start: "00:00", end: "24:00" }, days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...extra } },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.workspace.id as string, key: res.body.api_key.secret as string };
  }

  async function callableLead(key: string, phone: string) {
    const res = await call("POST", "/v1/leads", { token: key, body: { phone, name: "Grace" } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  }

  async function untilEnded(key: string, id: string) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const res = await call("GET", `/v1/calls/${id}`, { token: key });
      if (res.body.status === "ended" && (res.body.ended_reason !== "completed" || res.body.transcript)) return res.body;
      if (Date.now() > deadline) throw new Error(`call ${id} still ${res.body.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function untilTimeline(key: string, leadId: string, kind: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const lead = (await call("GET", `/v1/leads/${leadId}`, { token: key })).body;
      if (lead.timeline.some((e: { kind: string }) => e.kind === kind)) return lead;
      if (Date.now() > deadline) throw new Error(`lead ${leadId}'s timeline has no ${kind}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const simGet = async (path: string) => (await fetch(`${simUrl}${path}`)).json();
  async function simPost(path: string, body: unknown) {
    const res = await fetch(`${simUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const json: unknown = await res.json();
    assert.ok(res.ok, `${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  return { base, leadsGrpc: leads.grpcAddress, voiceDbUrl, voiceReplicas, whatsappReplica, prefix, sim, simUrl, encryptionKeys, call, newWorkspace, allDayWorkspace, callableLead, untilEnded, untilTimeline, simGet, simPost };
}

export function assertProblem(res: Res, status: number): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, "string");
  assert.equal(typeof res.body.detail, "string");
  assert.ok(!JSON.stringify(res.body).includes("    at "), "no stack trace");
}
