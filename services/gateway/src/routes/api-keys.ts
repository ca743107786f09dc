import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { decodeCursor, encodeCursor } from "@parley/ids";
import { ValidationError } from "@parley/errors";
import { apiKeyJson } from "../http/mappers";
import { workspaceOf } from "../http/principal";
import { IdParams, page, PageQuery, problemResponses, ScopeSchema } from "../http/schemas";
import type { RouteDeps } from "./deps";

export function apiKeyRoutes(root: FastifyInstance, { keys }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["api keys"];

  app.post(
    "/v1/api-keys",
    {
      config: { scope: "admin" },
      schema: {
        tags,
        summary: "Create an API key; its secret is returned once",
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref("NewApiKey"), ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const issued = await keys.issue(workspaceOf(request.principal), request.body.name, request.body.scopes);
      return reply.code(201).send({ ...apiKeyJson(issued.key), secret: issued.secret });
    },
  );

  app.get(
    "/v1/api-keys",
    {
      config: { scope: "admin" },
      schema: { tags, summary: "List API keys, newest first", querystring: Type.Object(PageQuery), response: { 200: page(Type.Ref("ApiKey")), ...problemResponses(400, 401, 403) } },
    },
    async (request) => {
      const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor);
      if (request.query.cursor !== undefined && !after) throw new ValidationError("cursor is not valid", [{ path: "querystring.cursor", message: "is not a cursor from this API" }]);
      const { items, next } = await keys.list(workspaceOf(request.principal), request.query.limit, after);
      return { data: items.map(apiKeyJson), next_cursor: next ? encodeCursor(next) : null };
    },
  );

  app.delete(
    "/v1/api-keys/:id",
    {
      config: { scope: "admin" },
      schema: { tags, summary: "Revoke an API key (at once; later requests with it get 401)", params: IdParams, response: { 200: Type.Ref("ApiKey"), ...problemResponses(401, 403, 404) } },
    },
    async (request) => apiKeyJson(await keys.revoke(workspaceOf(request.principal), request.params.id)),
  );
}
