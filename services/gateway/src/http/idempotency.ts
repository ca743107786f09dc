import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { problem } from "@parley/errors";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { sendProblem } from "./problems";

const TTL_MS = 24 * 60 * 60 * 1000;
const ABANDONED_AFTER_MS = 60_000;
const HEADER = "idempotency-key";

declare module "fastify" {
  interface FastifyRequest {
    idempotency?: { principal: string; key: string };
    /**
     * Set on a `streamedBody` route called with an Idempotency-Key: claims the key once the route
     * has read the body and hashed it. false means the answer is already sent (a replay, a refusal).
     */
    claimIdempotency?: (bodyDigest: string) => Promise<boolean>;
  }
  interface FastifyContextConfig {
    /** The route reads its body as a stream (an upload), so it claims the key itself, after reading. */
    streamedBody?: boolean;
  }
}

function requestHash(request: FastifyRequest, body: string): string {
  return createHash("sha256").update(`${request.method} ${request.url}\n`).update(body).digest("hex");
}

/** Claims the key for this request (true), or answers it: a replay, a 422 for another body, a 409 while running. */
async function claim(db: PrismaClient, request: FastifyRequest, reply: FastifyReply, principal: string, key: string, hash: string): Promise<boolean> {
  try {
    await db.idempotencyRecord.create({ data: { principal, key, requestHash: hash, expiresAt: new Date(Date.now() + TTL_MS) } });
    request.idempotency = { principal, key };
    return true;
  } catch (err) {
    if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== "P2002") throw err;
  }
  const existing = await db.idempotencyRecord.findUnique({ where: { principal_key: { principal, key } } });
  if (!existing) {
    void sendProblem(reply, problem(409, "Conflict", "A request with this Idempotency-Key just finished; retry it."));
    return false;
  }
  if (existing.requestHash !== hash) {
    void sendProblem(reply, problem(422, "Unprocessable Content", "This Idempotency-Key was used with a different request body."));
    return false;
  }
  if (existing.statusCode === null && Date.now() - existing.createdAt.getTime() > ABANDONED_AFTER_MS) {
    // The first attempt died mid-flight (crash, lost connection): this retry takes over its claim.
    const taken = await db.idempotencyRecord.updateMany({ where: { principal, key, statusCode: null, createdAt: existing.createdAt }, data: { createdAt: new Date() } });
    if (taken.count === 1) {
      request.idempotency = { principal, key };
      return true;
    }
  }
  if (existing.statusCode === null) {
    void reply.header("retry-after", 1);
    void sendProblem(reply, problem(409, "Conflict", "A request with this Idempotency-Key is still in progress."));
    return false;
  }
  void reply
    .code(existing.statusCode)
    .header("content-type", existing.contentType ?? "application/json")
    .header("idempotent-replayed", "true")
    .send(existing.responseBody ?? "");
  return false;
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its response is stored; the same
 * key with the same body replays that response; with another body it is refused (422). A retry
 * while the first is still running gets 409. 5xx responses are not stored, so the retry runs again.
 * A streamed upload is hashed by what it carries (the file's bytes, not a multipart envelope whose
 * boundary changes per attempt), which is known only once the route has read it.
 */
export function registerIdempotency(app: FastifyInstance, db: PrismaClient): () => Promise<void> {
  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers[HEADER];
    if (request.method !== "POST" || typeof key !== "string" || !request.principal) return;
    if (key.length < 1 || key.length > 255) return sendProblem(reply, problem(400, "Invalid Request", "Idempotency-Key must be 1 to 255 characters.", { errors: [{ path: "headers.idempotency-key", message: "must be 1 to 255 characters" }] }));
    const principal = request.principal.id;
    if (request.routeOptions.config.streamedBody) {
      request.claimIdempotency = (bodyDigest) => claim(db, request, reply, principal, key, requestHash(request, bodyDigest));
      return;
    }
    if (!(await claim(db, request, reply, principal, key, requestHash(request, JSON.stringify(request.body ?? null))))) return reply;
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    const where = { principal_key: claim };
    if (reply.statusCode >= 500) {
      await db.idempotencyRecord.delete({ where }).catch(() => undefined);
      return payload;
    }
    await db.idempotencyRecord.update({
      where,
      data: {
        statusCode: reply.statusCode,
        responseBody: typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : "",
        contentType: String(reply.getHeader("content-type") ?? "application/json"),
      },
    });
    return payload;
  });

  return async () => {
    await db.idempotencyRecord.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  };
}
