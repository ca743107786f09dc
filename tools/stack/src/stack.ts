import { withDatabase } from "@parley/db";
import { freePort } from "@parley/testing/support";
import { ServiceProcess } from "./service-process";

export const GRPC_SERVICES = ["leads", "voice", "whatsapp", "analytics", "retention"] as const;
export type GrpcServiceName = (typeof GRPC_SERVICES)[number];
export type ComponentName = GrpcServiceName | "gateway" | "simulator";

export interface StackPorts {
  gateway: number;
  simulator: number;
  grpc: Record<GrpcServiceName, number>;
  ops: Record<GrpcServiceName, number>;
}

export const DEFAULT_PORTS: StackPorts = {
  gateway: 8080,
  simulator: 8090,
  grpc: { leads: 50051, voice: 50052, whatsapp: 50053, analytics: 50054, retention: 50055 },
  ops: { leads: 9101, voice: 9102, whatsapp: 9103, analytics: 9104, retention: 9105 },
};

/** Every port free on this machine now: for tests and benchmarks that run beside a dev stack. */
export async function freePorts(): Promise<StackPorts> {
  const perService = async () => Object.fromEntries(await Promise.all(GRPC_SERVICES.map(async (s) => [s, await freePort()] as const))) as StackPorts["grpc"];
  return { gateway: await freePort(), simulator: await freePort(), grpc: await perService(), ops: await perService() };
}

export interface StackOptions {
  root: string;
  /** A Postgres server URL; each service gets its own database on it. */
  databaseUrl: string;
  natsUrl: string;
  adminToken: string;
  /** PARLEY_ENCRYPTION_KEYS for the services that seal provider credentials. */
  encryptionKeys: string;
  ports: StackPorts;
  /** Appended to every database name (parley_leads_<suffix>): isolates test runs. */
  databaseSuffix?: string;
  subjectPrefix?: string;
  logLevel?: string;
  /** Extra env for every process (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  env?: NodeJS.ProcessEnv;
  /** Extra env for voice (e.g. a faster reconciler in tests). */
  voiceEnv?: NodeJS.ProcessEnv;
  onLine?: (service: string, line: string) => void;
}

export interface Stack {
  gatewayUrl: string;
  simulatorUrl: string;
  adminToken: string;
  processes: Record<ComponentName, ServiceProcess>;
  databaseUrls: Record<GrpcServiceName | "gateway", string>;
  grpcAddress(service: GrpcServiceName): string;
  /** Another process of a service (a replica) with the same configuration. */
  replica(service: GrpcServiceName, opsPort: number, grpcPort: number): ServiceProcess;
  /** Ordered: stop intake at the gateway, then the services (each drains and flushes itself). */
  stop(): Promise<void>;
}

export function startStackProcesses(options: StackOptions): Stack {
  const { root, ports } = options;
  const dbName = (service: string) => `parley_${service}${options.databaseSuffix ? `_${options.databaseSuffix}` : ""}`;
  const databaseUrls = Object.fromEntries(
    [...GRPC_SERVICES, "gateway" as const].map((s) => [s, withDatabase(options.databaseUrl, dbName(s))]),
  ) as Stack["databaseUrls"];
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    NATS_URL: options.natsUrl,
    PARLEY_SUBJECT_PREFIX: options.subjectPrefix ?? "",
    LOG_LEVEL: options.logLevel ?? "info",
  };
  const entry = (path: string, instrument?: string) => ["--import", "tsx", ...(instrument ? ["--import", `./${instrument}`] : []), path];

  const serviceProcess = (service: GrpcServiceName, opsPort: number, grpcPort: number, name: string = service) =>
    new ServiceProcess({
      name,
      cwd: root,
      args: entry(`services/${service}/src/main.ts`, `services/${service}/src/instrument.ts`),
      env: { ...common, ...wiring[service], PARLEY_ENCRYPTION_KEYS: options.encryptionKeys, DATABASE_URL: databaseUrls[service], HTTP_PORT: String(opsPort), GRPC_PORT: String(grpcPort), HTTP_HOST: "127.0.0.1", GRPC_HOST: "127.0.0.1" },
      readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
      onLine: options.onLine,
    });

  const grpcAddress = (s: GrpcServiceName) => `127.0.0.1:${ports.grpc[s]}`;
  const simulatorUrl = `http://127.0.0.1:${ports.simulator}`;
  // What each service needs of the others: voice reads leads and dials through the simulator;
  // whatsapp finds leads and books through voice; analytics reads calls and workspaces.
  const wiring: Partial<Record<GrpcServiceName, NodeJS.ProcessEnv>> = {
    voice: {
      LEADS_GRPC_ADDR: grpcAddress("leads"),
      VOICE_SANDBOX: "true",
      VAPI_BASE_URL: `${simulatorUrl}/vapi`,
      BOLNA_BASE_URL: `${simulatorUrl}/bolna`,
      RETELL_BASE_URL: `${simulatorUrl}/retell`,
      CALCOM_BASE_URL: `${simulatorUrl}/calcom`,
      PARLEY_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
      // Locally, a call whose webhooks are lost (test number …0107, or Bolna's unsigned sandbox) is
      // read back after seconds rather than the production default of ten minutes.
      VOICE_RECONCILE_INTERVAL_MS: "2000",
      VOICE_STUCK_AFTER_MS: "10000",
      ...options.voiceEnv,
    },
    // WhatsApp sends through the simulator's Twilio and Meta; its agent writes with the OpenAI fake.
    whatsapp: {
      LEADS_GRPC_ADDR: grpcAddress("leads"),
      VOICE_GRPC_ADDR: grpcAddress("voice"),
      TWILIO_BASE_URL: `${simulatorUrl}/twilio`,
      META_BASE_URL: `${simulatorUrl}/meta/v21.0`,
      OPENAI_BASE_URL: `${simulatorUrl}/openai/v1`,
      OPENAI_API_KEY: "sandbox",
      PARLEY_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    },
    // Insights are extracted by the simulator's OpenAI fake, which accepts any key.
    analytics: {
      LEADS_GRPC_ADDR: grpcAddress("leads"),
      VOICE_GRPC_ADDR: grpcAddress("voice"),
      OPENAI_BASE_URL: `${simulatorUrl}/openai/v1`,
      OPENAI_API_KEY: "sandbox",
    },
  };
  const processes = Object.fromEntries(GRPC_SERVICES.map((s) => [s, serviceProcess(s, ports.ops[s], ports.grpc[s])])) as Record<ComponentName, ServiceProcess>;
  processes.gateway = new ServiceProcess({
    name: "gateway",
    cwd: root,
    args: entry("services/gateway/src/main.ts", "services/gateway/src/instrument.ts"),
    env: {
      ...common,
      DATABASE_URL: databaseUrls.gateway,
      GATEWAY_PORT: String(ports.gateway),
      HTTP_HOST: "127.0.0.1",
      PARLEY_ADMIN_TOKEN: options.adminToken,
      LEADS_GRPC_ADDR: grpcAddress("leads"),
      VOICE_GRPC_ADDR: grpcAddress("voice"),
      WHATSAPP_GRPC_ADDR: grpcAddress("whatsapp"),
      ANALYTICS_GRPC_ADDR: grpcAddress("analytics"),
    },
    readyUrl: `http://127.0.0.1:${ports.gateway}/readyz`,
    onLine: options.onLine,
  });
  processes.simulator = new ServiceProcess({
    name: "simulator",
    cwd: root,
    args: entry("tools/simulator/src/main.ts"),
    env: { ...common, SIMULATOR_PORT: String(ports.simulator), PARLEY_URL: `http://127.0.0.1:${ports.gateway}` },
    readyUrl: `http://127.0.0.1:${ports.simulator}/healthz`,
    onLine: options.onLine,
  });

  let replicas = 0;
  const extra: ServiceProcess[] = [];
  return {
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    simulatorUrl,
    adminToken: options.adminToken,
    processes,
    databaseUrls,
    grpcAddress,
    replica: (service, opsPort, grpcPort) => {
      const p = serviceProcess(service, opsPort, grpcPort, `${service}-${++replicas}`);
      extra.push(p);
      return p;
    },
    stop: async () => {
      await processes.gateway.stop();
      await processes.simulator.stop();
      await Promise.all([...GRPC_SERVICES.map((s) => processes[s].stop()), ...extra.map((p) => p.stop())]);
    },
  };
}

/** Starts every process and waits until each is ready; on failure, stops what started and rethrows. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const stack = startStackProcesses(options);
  try {
    await Promise.all([...GRPC_SERVICES.map((s) => stack.processes[s].start()), stack.processes.simulator.start()]);
    await stack.processes.gateway.start();
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
  return stack;
}
