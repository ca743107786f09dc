import type { FastifyInstance } from "fastify";
import { renderMetrics } from "@parley/metrics";
import { evaluateReadiness, lifecycleCheck, type ReadinessCheck } from "@parley/service";
import { sendProblem } from "./problems";

export type ReadinessChecks = Record<string, ReadinessCheck>;

export function opsRoutes(app: FastifyInstance, checks: ReadinessChecks, isReady: () => boolean): void {
  const hide = { schema: { hide: true } };
  app.get("/healthz", hide, async () => ({ status: "ok" }));
  app.get("/readyz", hide, async (_request, reply) => {
    const readiness = await evaluateReadiness({ ready: lifecycleCheck(isReady), ...checks });
    return readiness.ready ? readiness.body : sendProblem(reply, readiness.body);
  });
  app.get("/metrics", hide, async (_request, reply) => {
    const { contentType, body } = await renderMetrics();
    return reply.type(contentType).send(body);
  });
}
