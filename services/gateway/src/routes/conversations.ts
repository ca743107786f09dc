import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { workspaceOf } from "../http/principal";
import { conversationJson, messageJson } from "../http/mappers";
import { IdParams, page, PageQuery, problemResponses } from "../http/schemas";
import type { RouteDeps } from "./deps";

export function conversationRoutes(root: FastifyInstance, { whatsapp }: RouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ["whatsapp"];

  app.get(
    "/v1/conversations",
    {
      config: { scope: "leads:read" },
      schema: {
        tags,
        summary: "WhatsApp conversations, newest first",
        querystring: Type.Object({ ...PageQuery, lead_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
        response: { 200: page(Type.Ref("Conversation")), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const res = await whatsapp.listConversations({ workspaceId: workspaceOf(request.principal), leadId: q.lead_id ?? "", limit: q.limit, cursor: q.cursor ?? "" });
      return { data: res.conversations.map(conversationJson), next_cursor: res.nextCursor || null };
    },
  );

  app.get(
    "/v1/conversations/:id",
    {
      config: { scope: "leads:read" },
      schema: { tags, summary: "One conversation, with its 24-hour window", params: IdParams, response: { 200: Type.Ref("Conversation"), ...problemResponses(401, 403, 404) } },
    },
    async (request) => conversationJson((await whatsapp.getConversation({ workspaceId: workspaceOf(request.principal), conversationId: request.params.id })).conversation!),
  );

  app.get(
    "/v1/conversations/:id/messages",
    {
      config: { scope: "leads:read" },
      schema: {
        tags,
        summary: "A conversation's messages, oldest first, with delivery status",
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: page(Type.Ref("Message")), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const res = await whatsapp.listMessages({ workspaceId: workspaceOf(request.principal), conversationId: request.params.id, limit: request.query.limit, cursor: request.query.cursor ?? "" });
      return { data: res.messages.map(messageJson), next_cursor: res.nextCursor || null };
    },
  );
}
