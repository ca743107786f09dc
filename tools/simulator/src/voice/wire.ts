import type { FastifyReply, FastifyRequest } from "fastify";

/** Helpers every provider's routes share: the simulator reads bodies leniently, like JSON from the wire. */

export type Json = Record<string, unknown>;

export const str = (v: unknown) => (typeof v === "string" ? v : "");
export const obj = (v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export const bearer = (request: FastifyRequest) => (request.headers.authorization ?? "").replace(/^Bearer\s+/, "");

/** Every provider wants a bearer key; the simulator accepts any value, like a sandbox. */
export function authorised(request: FastifyRequest, reply: FastifyReply, body: Json): boolean {
  if (/^Bearer\s+\S+/.test(request.headers.authorization ?? "")) return true;
  void reply.code(401).send(body);
  return false;
}

/** A copy of `body` without the keys the provider owns (ids, versions, timestamps): clients cannot set them. */
export function withoutKeys(body: Json, owned: readonly string[]): Json {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !owned.includes(key)));
}
