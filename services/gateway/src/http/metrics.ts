import type { FastifyInstance } from "fastify";
import { counter, histogram } from "@parley/metrics";

const requests = counter("parley_http_requests_total", "HTTP requests answered by the gateway", ["method", "route", "status"]);
const duration = histogram("parley_http_request_duration_seconds", "HTTP request duration at the gateway", ["method", "route"]);

export function registerHttpMetrics(app: FastifyInstance): void {
  app.addHook("onResponse", async (request, reply) => {
    // The route template, not the URL: ids would explode the label set.
    const route = request.routeOptions.url ?? "unmatched";
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    request.log.debug({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });
}
