// `npm run bench -- rest-read`: GET /v1/leads/{id} through gateway → gRPC → leads → Postgres, against
// a bare Fastify + pg route reading the same row, both measured in this run on this machine.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { benchStack } from "./bench-stack";
import { measure, type LoadResult } from "./load";

const ROOT = new URL("../../..", import.meta.url).pathname;

export interface RestReadOptions {
  durationSeconds: number;
  connections: number;
}

async function startBaseline(databaseUrl: string): Promise<{ address: string; stop(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "tools/bench/src/baseline-server.ts"], {
    cwd: ROOT,
    env: { ...process.env, BASELINE_DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`baseline server exited with ${code}`)));
  });
  return { address: (JSON.parse(line) as { address: string }).address, stop: () => child.kill("SIGTERM") };
}

export async function restRead({ durationSeconds, connections }: RestReadOptions): Promise<{ results: LoadResult[]; ratio: number }> {
  const bench = await benchStack();
  const { stack } = bench;
  let baseline: { address: string; stop(): void } | undefined;
  try {
    await stack.processes.leads.start();
    // The limiter still runs (and costs its query); it just must not cap the benchmark.
    await stack.processes.gateway.start({ RATE_LIMIT_PER_MINUTE: "100000000" });
    const { key } = await bench.workspace();
    const lead = await fetch(`${stack.gatewayUrl}/v1/leads`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ phone: "+14155550100", name: "Bench Lead", tags: ["bench"] }),
    });
    const { id } = (await lead.json()) as { id: string };
    baseline = await startBaseline(stack.databaseUrls.leads);

    const bare = await measure("bare Fastify + pg (baseline)", { url: `${baseline.address}/leads/${id}`, connections, durationSeconds });
    const parley = await measure("gateway → gRPC → leads → Postgres", {
      url: `${stack.gatewayUrl}/v1/leads/${id}`,
      headers: { authorization: `Bearer ${key}` },
      connections,
      durationSeconds,
    });
    return { results: [bare, parley], ratio: parley.requestsPerSecond / bare.requestsPerSecond };
  } finally {
    baseline?.stop();
    await bench.dispose();
  }
}
