// The real services for a benchmark: started as processes on throw-away databases, a NATS server
// and subject prefix of their own, removed afterwards.
import { Keyring } from "@parley/crypto";
import { dropDatabase } from "@parley/db";
import { PG_URL, requirePostgres, startNatsServer, uniqueId, type OwnNatsServer } from "@parley/testing/support";
import { freePorts, startStackProcesses, type Stack, type StackPorts } from "@parley/tool-stack/stack";

const ROOT = new URL("../../..", import.meta.url).pathname;

export interface BenchStack {
  stack: Stack;
  ports: StackPorts;
  /** The run's own NATS server and subject prefix: for scenarios that publish events themselves. */
  natsUrl: string;
  subjectPrefix: string;
  /** Creates a workspace through the gateway; its admin key. */
  workspace(): Promise<{ id: string; key: string }>;
  dispose(): Promise<void>;
}

export interface BenchStackOptions {
  /** For every service. */
  env?: NodeJS.ProcessEnv;
  voiceEnv?: NodeJS.ProcessEnv;
}

export async function benchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  await requirePostgres();
  const nats: OwnNatsServer = await startNatsServer();
  const subjectPrefix = uniqueId();
  const ports = await freePorts();
  const stack = startStackProcesses({
    root: ROOT,
    databaseUrl: PG_URL,
    natsUrl: nats.url,
    adminToken: "bench-admin-token-0123456789",
    encryptionKeys: Keyring.generateEntry("bench"),
    ports,
    env: options.env,
    voiceEnv: options.voiceEnv,
    databaseSuffix: `bench_${uniqueId()}`,
    subjectPrefix,
    logLevel: "warn",
  });
  return {
    stack,
    ports,
    natsUrl: nats.url,
    subjectPrefix,
    async workspace() {
      const res = await fetch(`${stack.gatewayUrl}/v1/workspaces`, {
        method: "POST",
        headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Bench", timezone: "UTC" }),
      });
      if (!res.ok) throw new Error(`cannot create the bench workspace: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { workspace: { id: string }; api_key: { secret: string } };
      return { id: body.workspace.id, key: body.api_key.secret };
    },
    async dispose() {
      await stack.stop();
      await nats.dispose();
      for (const url of Object.values(stack.databaseUrls)) await dropDatabase(url);
    },
  };
}
