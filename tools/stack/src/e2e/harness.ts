// Boots the real stack (every service as its own process) on this run's databases, subject prefix
// and ports, against a NATS server of the test's own so it can be restarted.
import { Keyring } from "@parley/crypto";
import { dropDatabase } from "@parley/db";
import { cleanup, PG_URL, requirePostgres, startNatsServer, uniqueId, type OwnNatsServer } from "@parley/testing";
import { freePorts, startStack, startStackProcesses, type Stack, type StackOptions } from "../stack";

export const ADMIN_TOKEN = "e2e-admin-token-0123456789";
const ROOT = new URL("../../../..", import.meta.url).pathname;

export async function stackOptions(nats: OwnNatsServer): Promise<StackOptions> {
  await requirePostgres();
  return {
    root: ROOT,
    databaseUrl: PG_URL,
    natsUrl: nats.url,
    adminToken: ADMIN_TOKEN,
    encryptionKeys: Keyring.generateEntry("e2e"),
    ports: await freePorts(),
    databaseSuffix: uniqueId(),
    subjectPrefix: uniqueId(),
    logLevel: "info",
  };
}

/** Databases and NATS store are removed after the file's tests; on failure, the services' last lines are printed. */
function registerCleanup(stack: Stack, nats: OwnNatsServer): void {
  cleanup(async () => {
    await stack.stop();
    await nats.dispose();
    for (const url of Object.values(stack.databaseUrls)) await dropDatabase(url);
  });
}

export async function bootStack(): Promise<{ stack: Stack; nats: OwnNatsServer; options: StackOptions }> {
  const nats = await startNatsServer();
  const options = await stackOptions(nats);
  const stack = await startStack(options);
  registerCleanup(stack, nats);
  return { stack, nats, options };
}

/** The processes of a stack, none started. */
export async function unstartedStack(): Promise<{ stack: Stack; nats: OwnNatsServer }> {
  const nats = await startNatsServer();
  const stack = startStackProcesses(await stackOptions(nats));
  registerCleanup(stack, nats);
  return { stack, nats };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function api(stack: Stack, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(stack.gatewayUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
