import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { apiKeyJson, workspaceJson } from "../http/mappers";
import { workspaceOf } from "../http/principal";
import { problemResponses } from "../http/schemas";
import type { RouteDeps } from "./deps";

const WorkspaceInput = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: "IANA zone", examples: ["Europe/Madrid"] }),
  profile: Type.Object({}, { additionalProperties: true, description: "persona, offer, pricing, qualification: [{ key, question, type, options? }]" }),
  settings: Type.Object({}, { additionalProperties: true, description: "default_channel, timezone, calling_hours { start, end }, days, retention_days, max_concurrency, auto_call_new_leads" }),
};

export function workspaceRoutes(root: FastifyInstance, { leads, keys }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    "/v1/workspaces",
    {
      config: { auth: "operator" },
      schema: {
        tags: ["workspaces"],
        summary: "Create a workspace and its first admin API key (operator token)",
        security: [{ operatorToken: [] }],
        body: Type.Object({ name: WorkspaceInput.name, timezone: Type.Optional(WorkspaceInput.timezone), profile: Type.Optional(WorkspaceInput.profile), settings: Type.Optional(WorkspaceInput.settings) }, { additionalProperties: false }),
        response: {
          201: Type.Object({ workspace: Type.Ref("Workspace"), api_key: Type.Ref("NewApiKey") }),
          ...problemResponses(400, 401, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const { workspace } = await leads.createWorkspace({
        name: request.body.name,
        timezone: request.body.timezone ?? "UTC",
        profile: request.body.profile,
        settings: request.body.settings,
      });
      const issued = await keys.issue(workspace!.id, "admin (created with the workspace)", ["admin"]);
      return reply.code(201).send({ workspace: workspaceJson(workspace!), api_key: { ...apiKeyJson(issued.key), secret: issued.secret } });
    },
  );

  app.get(
    "/v1/workspace",
    {
      schema: { tags: ["workspaces"], summary: "The caller's workspace", response: { 200: Type.Ref("Workspace"), ...problemResponses(401) } },
    },
    async (request) => {
      const { workspace } = await leads.getWorkspace({ workspaceId: workspaceOf(request.principal) });
      return workspaceJson(workspace!);
    },
  );

  app.patch(
    "/v1/workspace",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["workspaces"],
        summary: "Update name, timezone, profile or settings (profile and settings are merged)",
        body: Type.Object(
          { name: Type.Optional(WorkspaceInput.name), timezone: Type.Optional(WorkspaceInput.timezone), profile: Type.Optional(WorkspaceInput.profile), settings: Type.Optional(WorkspaceInput.settings) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Ref("Workspace"), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { workspace } = await leads.updateWorkspace({
        workspaceId: workspaceOf(request.principal),
        name: request.body.name,
        timezone: request.body.timezone,
        profile: request.body.profile,
        settings: request.body.settings,
      });
      return workspaceJson(workspace!);
    },
  );
}
