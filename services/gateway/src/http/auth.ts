import type { FastifyInstance, FastifyRequest } from "fastify";
import { problem } from "@parley/errors";
import { sameSecret, type ApiKeys } from "../auth/api-keys";
import { hasScope } from "../auth/scopes";
import { sendProblem } from "./problems";

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Authenticates before the body is read. Unknown or revoked key → 401; a key without the route's
 * scope → 403. Whether another workspace's object exists is never revealed here: routes scope every
 * lookup to the caller's workspace, so those are 404s.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeys, adminToken: string): void {
  app.addHook("onRequest", async (request, reply) => {
    const config = request.routeOptions.config;
    const url = request.routeOptions.url;
    // The public API (/v1) needs a key unless a route says otherwise; ops, docs and webhooks decide for themselves.
    const mode = config.auth ?? (url?.startsWith("/v1/") ? "key" : "none");
    if (mode === "none") return;
    const token = bearer(request);
    const unauthorized = (detail: string) => {
      void reply.header("www-authenticate", 'Bearer realm="parley"');
      return sendProblem(reply, problem(401, "Unauthorized", detail));
    };
    if (!token) return unauthorized("Send Authorization: Bearer <api key>.");
    if (mode === "operator") {
      if (!sameSecret(token, adminToken)) return unauthorized("This route needs the operator token (PARLEY_ADMIN_TOKEN).");
      request.principal = { kind: "operator", id: "operator" };
      return;
    }
    const key = await keys.authenticate(token);
    if (!key) return unauthorized("The API key is unknown or revoked.");
    request.principal = { kind: "key", id: key.id, workspaceId: key.workspaceId, scopes: key.scopes };
    if (config.scope && !hasScope(key.scopes, config.scope)) {
      return sendProblem(reply, problem(403, "Forbidden", `This API key lacks the ${config.scope} scope.`, { required_scope: config.scope }));
    }
  });
}
