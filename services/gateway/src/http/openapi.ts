import type { FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";

/** OpenAPI 3.1 built from the route schemas; shared shapes become components by their $id. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Parley API",
        version: "1.0.0",
        description: "Leads, AI voice calls and WhatsApp conversations. Errors are application/problem+json (RFC 9457). Every POST accepts an Idempotency-Key header.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: "http", scheme: "bearer", description: "A workspace API key (pk_…)" },
          operatorToken: { type: "http", scheme: "bearer", description: "PARLEY_ADMIN_TOKEN, only for POST /v1/workspaces" },
        },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
