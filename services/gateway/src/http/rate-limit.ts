import type { FastifyInstance } from "fastify";
import { problem } from "@parley/errors";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { sendProblem } from "./problems";

const WINDOW_SECONDS = 60;

/**
 * A fixed one-minute window per principal, counted in Postgres so every gateway replica shares
 * the same budget. Runs after auth, so unauthenticated floods never touch the counters.
 */
export function registerRateLimit(app: FastifyInstance, db: PrismaClient, limitPerMinute: number): () => Promise<void> {
  app.addHook("onRequest", async (request, reply) => {
    const principal = request.principal;
    if (!principal || reply.sent) return;
    const rows = await db.$queryRawUnsafe<{ hits: number; reset: number }[]>(
      `insert into rate_limit_windows (principal, window_start, hits)
       values ($1, to_timestamp(floor(extract(epoch from now()) / ${WINDOW_SECONDS}) * ${WINDOW_SECONDS}), 1)
       on conflict (principal, window_start) do update set hits = rate_limit_windows.hits + 1
       returning hits, ceil(extract(epoch from window_start) + ${WINDOW_SECONDS} - extract(epoch from now()))::int as reset`,
      principal.id,
    );
    const { hits, reset } = rows[0] ?? { hits: 1, reset: WINDOW_SECONDS };
    void reply.headers({
      "ratelimit-policy": `${limitPerMinute};w=${WINDOW_SECONDS}`,
      "ratelimit-limit": limitPerMinute,
      "ratelimit-remaining": Math.max(0, limitPerMinute - hits),
      "ratelimit-reset": Math.max(1, reset),
    });
    if (hits > limitPerMinute) {
      void reply.header("retry-after", Math.max(1, reset));
      return sendProblem(reply, problem(429, "Too Many Requests", `This key may make ${limitPerMinute} requests per minute; retry in ${Math.max(1, reset)} s.`));
    }
  });
  return async () => {
    await db.$executeRawUnsafe(`delete from rate_limit_windows where window_start < now() - interval '${2 * WINDOW_SECONDS} seconds'`);
  };
}
