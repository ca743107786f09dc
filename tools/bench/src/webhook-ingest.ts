// `npm run bench -- webhook-ingest`: signed Vapi status-update webhooks through the gateway
// (signature checked by voice over gRPC, published to JetStream, 200 after the ack) against a bare
// Fastify route that accepts the same body, both measured in this run on this machine.
import { createHmac } from "node:crypto";
import Fastify from "fastify";
import { benchStack } from "./bench-stack";
import { measure, type LoadResult } from "./load";

const SECRET = "bench-vapi-webhook-secret";

export interface IngestOptions {
  durationSeconds: number;
  connections: number;
}

/** Every request a new status-update (so none is a JetStream duplicate), signed like Vapi signs. */
function signedRequests(workspaceId: string) {
  let n = 0;
  return () => {
    n += 1;
    const body = JSON.stringify({ message: { type: "status-update", status: "in-progress", timestamp: Date.now(), call: { id: `bench-${n}`, metadata: { parley_workspace_id: workspaceId } } } });
    return { body, headers: { "content-type": "application/json", "x-vapi-signature": createHmac("sha256", SECRET).update(body).digest("hex") } };
  };
}

export async function webhookIngest({ durationSeconds, connections }: IngestOptions): Promise<{ results: LoadResult[]; ratio: number }> {
  const bench = await benchStack();
  const { stack } = bench;
  const bare = Fastify({ logger: false });
  bare.post("/webhooks/vapi", async () => ({ received: true }));
  try {
    await Promise.all([stack.processes.leads.start(), stack.processes.voice.start()]);
    await stack.processes.gateway.start();
    const workspace = await bench.workspace();
    const stored = await fetch(`${stack.gatewayUrl}/v1/integrations/vapi`, {
      method: "PUT",
      headers: { authorization: `Bearer ${workspace.key}`, "content-type": "application/json" },
      body: JSON.stringify({ api_key: "sk", phone_number_id: "pn", webhook_secret: SECRET }),
    });
    if (!stored.ok) throw new Error(`cannot store the vapi integration: ${stored.status}`);
    const bareUrl = await bare.listen({ port: 0, host: "127.0.0.1" });

    const baseline = await measure("bare Fastify route (baseline)", { url: `${bareUrl}/webhooks/vapi`, method: "POST", connections, durationSeconds, nextRequest: signedRequests(workspace.id) });
    const parley = await measure("gateway → verify → JetStream ack", { url: `${stack.gatewayUrl}/webhooks/vapi`, method: "POST", connections, durationSeconds, nextRequest: signedRequests(workspace.id) });
    return { results: [baseline, parley], ratio: parley.requestsPerSecond / baseline.requestsPerSecond };
  } finally {
    await bare.close();
    await bench.dispose();
  }
}
