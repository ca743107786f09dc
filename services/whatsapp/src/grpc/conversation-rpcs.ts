import { requireField } from "@parley/errors";
import type { whatsappV1 } from "@parley/proto";
import type { Conversation, Message } from "../generated/prisma/client.ts";
import type { Conversations } from "../conversations/conversations";

const pageSize = (limit: number) => Math.min(Math.max(limit || 50, 1), 200);

export function toConversation(c: Conversation): whatsappV1.Conversation {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    leadId: c.leadId,
    provider: c.provider,
    customer: c.customer,
    windowExpiresAt: c.windowExpiresAt ?? undefined,
    lastMessageAt: c.lastMessageAt,
    handedOffAt: c.handedOffAt ?? undefined,
    qualification: c.qualification as Record<string, unknown>,
    createdAt: c.createdAt,
  };
}

export function toMessage(m: Message): whatsappV1.Message {
  return {
    id: m.id,
    conversationId: m.conversationId,
    leadId: m.leadId,
    direction: m.direction,
    provider: m.provider,
    providerMessageId: m.providerMessageId ?? "",
    text: m.text,
    template: (m.template as Record<string, unknown> | null) ?? undefined,
    status: m.status,
    errorCode: m.errorCode ?? "",
    errorMessage: m.errorMessage ?? "",
    origin: m.origin,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function conversationRpcs(conversations: Conversations) {
  return {
    async listConversations(req: whatsappV1.ListConversationsRequest): Promise<whatsappV1.ListConversationsResponse> {
      const page = await conversations.list(requireField(req.workspaceId, "workspace_id"), { leadId: req.leadId || undefined, limit: pageSize(req.limit), cursor: req.cursor || undefined });
      return { conversations: page.data.map(toConversation), nextCursor: page.nextCursor ?? "" };
    },
    async getConversation(req: whatsappV1.GetConversationRequest): Promise<whatsappV1.GetConversationResponse> {
      return { conversation: toConversation(await conversations.get(requireField(req.workspaceId, "workspace_id"), requireField(req.conversationId, "conversation_id"))) };
    },
    async listMessages(req: whatsappV1.ListMessagesRequest): Promise<whatsappV1.ListMessagesResponse> {
      const page = await conversations.messages(requireField(req.workspaceId, "workspace_id"), requireField(req.conversationId, "conversation_id"), { limit: pageSize(req.limit), cursor: req.cursor || undefined });
      return { messages: page.data.map(toMessage), nextCursor: page.nextCursor ?? "" };
    },
  };
}
