import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { problem } from "@parley/errors";
import { workspaceOf } from "../http/principal";
import { sendProblem } from "../http/problems";
import { IdParams, problemResponses } from "../http/schemas";
import type { RouteDeps } from "./deps";

export interface RecordingLinks {
  /** HMAC key of the links; rotate it to revoke every link at once. */
  secret: string;
  ttlSeconds: number;
}

function signature(secret: string, workspaceId: string, callId: string, expires: number): string {
  return createHmac("sha256", secret).update(`${workspaceId}/${callId}/${expires}`).digest("base64url");
}

/**
 * `GET /v1/calls/{id}/recording` answers 302 to a link of ours that expires; that link (no API key,
 * so it can be handed to a browser or an audio player) answers 302 to the provider's recording.
 */
export function recordingRoutes(root: FastifyInstance, { voice }: RouteDeps, links: RecordingLinks): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    "/v1/calls/:id/recording",
    {
      config: { scope: "calls:read" },
      schema: {
        tags: ["calls"],
        summary: "302 to a short-lived signed link to the call's recording",
        params: IdParams,
        response: { 302: Type.Null({ description: "Location: the signed link" }), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const workspaceId = workspaceOf(request.principal);
      const { call } = await voice.getCall({ workspaceId, callId: request.params.id });
      if (!call?.recordingUrl) return sendProblem(reply, problem(404, "Not Found", "This call has no recording (yet)."));
      const expires = Math.floor(Date.now() / 1000) + links.ttlSeconds;
      const sig = signature(links.secret, workspaceId, call.id, expires);
      return reply.header("cache-control", "no-store").redirect(`/recordings/${call.id}?workspace=${workspaceId}&expires=${expires}&sig=${sig}`, 302);
    },
  );

  app.get(
    "/recordings/:id",
    {
      schema: {
        hide: true,
        params: IdParams,
        querystring: Type.Object({ workspace: Type.String({ minLength: 1, maxLength: 64 }), expires: Type.Integer(), sig: Type.String({ minLength: 1, maxLength: 100 }) }),
      },
    },
    async (request, reply) => {
      const { workspace, expires, sig } = request.query;
      const expected = Buffer.from(signature(links.secret, workspace, request.params.id, expires));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return sendProblem(reply, problem(403, "Forbidden", "This recording link is not valid."));
      if (expires < Date.now() / 1000) return sendProblem(reply, problem(410, "Gone", "This recording link has expired; ask the API for a new one."));
      const { call } = await voice.getCall({ workspaceId: workspace, callId: request.params.id });
      if (!call?.recordingUrl) return sendProblem(reply, problem(404, "Not Found", "This call has no recording."));
      return reply.header("cache-control", "no-store").redirect(call.recordingUrl, 302);
    },
  );
}
