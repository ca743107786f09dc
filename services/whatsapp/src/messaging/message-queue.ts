import { PreconditionError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { Conversation, Message, Prisma, PrismaClient, Template } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../conversations/conversations";
import { statusRank } from "../conversations/message-status";
import type { MessagingProviderKind } from "../providers/port";
import type { MessagingProviders } from "./messaging-providers";
import { PENDING_CHANNEL } from "./pending-sender";

export type Origin = "api" | "broadcast" | "follow_up" | "fallback";

/** The template as stored on a message: what the provider needs to send it again. */
export function templatePayload(t: Template, variables: string[]) {
  return { name: t.name, language: t.language, providerTemplateId: t.providerTemplateId, variables };
}

export interface NewMessage {
  text?: string;
  template?: ReturnType<typeof templatePayload>;
  origin: Origin;
  broadcastId?: string;
  fallbackFor?: string;
}

/**
 * Outbound messages stored before anything is sent: in the lead's conversation (opened on the
 * workspace's sender when the business writes first), pending for a sender.
 */
export class MessageQueue {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly providers: MessagingProviders,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores a template for the pacer to send (broadcasts, follow-ups, fallbacks), in the caller's transaction. */
  async enqueue(tx: Prisma.TransactionClient, conversation: Conversation, fields: NewMessage): Promise<Message> {
    const message = await this.create(conversation, fields, tx);
    await tx.$executeRawUnsafe(`select pg_notify('${PENDING_CHANNEL}', '')`);
    return message;
  }

  /** The lead's conversation, opened on the workspace's sender when the business writes first. */
  async conversationFor(workspaceId: string, leadId: string, provider?: MessagingProviderKind): Promise<Conversation> {
    const existing = await this.db.conversation.findFirst({ where: { workspaceId, leadId } });
    if (existing) return existing;
    const { lead } = await this.leads.getLead({ workspaceId, leadId, timelineLimit: 0 });
    const opened = await this.conversationsFor(this.db, workspaceId, [{ id: leadId, phone: lead!.phone }], provider);
    return opened.get(leadId)!;
  }

  /** Many leads' conversations at once (a broadcast's page): the missing ones are opened in one statement. */
  async conversationsFor(tx: Prisma.TransactionClient | PrismaClient, workspaceId: string, leads: { id: string; phone: string }[], provider?: MessagingProviderKind): Promise<Map<string, Conversation>> {
    const ids = leads.map((l) => l.id);
    const existing = await tx.conversation.findMany({ where: { workspaceId, leadId: { in: ids } } });
    const missing = leads.filter((l) => !existing.some((c) => c.leadId === l.id));
    if (missing.length) {
      const kind = (await this.providers.forWorkspace(workspaceId, provider)).kind;
      const sender = await tx.senderNumber.findFirst({ where: { workspaceId, provider: kind } });
      if (!sender) throw new PreconditionError(`no ${kind} sender for this workspace: put its integration again`);
      const now = this.now();
      await tx.conversation.createMany({
        data: missing.map((l) => ({ id: newId("conv"), workspaceId, leadId: l.id, provider: kind, senderId: sender.senderId, customer: l.phone, lastMessageAt: now, createdAt: now })),
        skipDuplicates: true,
      });
    }
    const all = missing.length ? await tx.conversation.findMany({ where: { workspaceId, leadId: { in: ids } } }) : existing;
    return new Map(all.map((c) => [c.leadId, c]));
  }

  create(conversation: Conversation, fields: NewMessage, tx: Prisma.TransactionClient | PrismaClient = this.db): Promise<Message> {
    const now = this.now();
    return tx.message.create({
      data: {
        id: newId("msg"),
        workspaceId: conversation.workspaceId,
        conversationId: conversation.id,
        leadId: conversation.leadId,
        direction: "outbound",
        provider: conversation.provider,
        text: fields.text ?? "",
        template: fields.template,
        status: "pending",
        statusRank: statusRank("pending"),
        origin: fields.origin,
        broadcastId: fields.broadcastId ?? null,
        fallbackFor: fields.fallbackFor ?? null,
        createdAt: now,
        updatedAt: now,
      },
    });
  }

}
