import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { renderMetrics } from "@parley/metrics";
import { evaluateReadiness, type ReadinessCheck } from "./readiness";

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The operations port every service exposes: `/healthz` (the process is alive), `/readyz` (its
 * dependencies answer; 503 with the failing check named otherwise) and `/metrics` (Prometheus).
 */
export async function startOpsServer(port: number, host: string, checks: Record<string, ReadinessCheck>): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: unknown, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (path === "/healthz") return reply(200, { status: "ok" });
    if (path === "/readyz") {
      void evaluateReadiness(checks).then((r) => (r.ready ? reply(200, r.body) : reply(503, r.body, "application/problem+json")));
      return;
    }
    if (path === "/metrics") {
      void renderMetrics().then(({ contentType, body }) => reply(200, body, contentType), () => reply(500, "metrics unavailable", "text/plain"));
      return;
    }
    reply(404, { type: "about:blank", title: "Not Found", status: 404, detail: `no route ${path}` }, "application/problem+json");
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
