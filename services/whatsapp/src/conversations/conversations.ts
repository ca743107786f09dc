import { emitEvent } from "@parley/bus";
import { ConflictError, isDomainError, NotFoundError } from "@parley/errors";
import type { GrpcClient } from "@parley/grpc";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import { events, leadsV1 } from "@parley/proto";
import type { Conversation, Message, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { InboundMessage, StatusUpdate } from "../providers/port";
import { movesForward, statusRank, type MessageStatus } from "./message-status";
import { isStopRequest } from "./stop-words";

export type LeadsClient = GrpcClient<typeof leadsV1.LeadsServiceService>["call"];
type Tx = Prisma.TransactionClient;

/** A WhatsApp conversation stays open for free text this long after the lead last wrote. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;
/** Wakes the agent's turn workers (see agent/turn-queue.ts). */
export const TURNS_CHANNEL = "whatsapp_turns";

export type ReceiveOutcome = "stored" | "duplicate" | "opted_out";

export function messageEvent(m: Message): events.WhatsAppMessage {
  const template = m.template as { name?: string } | null;
  return {
    id: m.id,
    conversationId: m.conversationId,
    leadId: m.leadId,
    direction: m.direction,
    provider: m.provider,
    providerMessageId: m.providerMessageId ?? "",
    text: m.text,
    template: template?.name ?? "",
    status: m.status,
    errorCode: m.errorCode ?? "",
    origin: m.origin,
  };
}

/**
 * Conversations and their messages. Inbound messages are kept once per provider id, find or create
 * their lead, open the 24-hour window and ask for an agent turn; status callbacks move a message
 * forward only; STOP writes the opt-out ledger for every channel instead of asking for a turn.
 */
export class Conversations {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async receive(tx: Tx, workspaceId: string, inbound: InboundMessage): Promise<{ outcome: ReceiveOutcome; message?: Message }> {
    const seen = await tx.message.findUnique({ where: { provider_providerMessageId: { provider: inbound.provider, providerMessageId: inbound.providerMessageId } } });
    if (seen) return { outcome: "duplicate", message: seen };
    const conversation = await this.conversationFor(tx, workspaceId, inbound);
    const now = this.now();
    const stop = isStopRequest(inbound.text);
    const message = await tx.message.create({
      data: {
        id: newId("msg"),
        workspaceId,
        conversationId: conversation.id,
        leadId: conversation.leadId,
        direction: "inbound",
        provider: inbound.provider,
        providerMessageId: inbound.providerMessageId,
        text: inbound.text,
        status: "received",
        statusRank: statusRank("received"),
        origin: "lead",
        createdAt: now,
        updatedAt: now,
      },
    });
    const windowExpiresAt = new Date(Math.max(inbound.receivedAt.getTime(), conversation.lastInboundAt?.getTime() ?? 0) + WINDOW_MS);
    await tx.conversation.update({
      where: { id: conversation.id },
      data: {
        lastInboundAt: now,
        windowExpiresAt: conversation.windowExpiresAt && conversation.windowExpiresAt > windowExpiresAt ? conversation.windowExpiresAt : windowExpiresAt,
        lastMessageAt: now,
        // Every new message restarts the quiet period, so messages sent in a burst share one turn.
        ...(stop || conversation.handedOffAt ? {} : { turnRequestedAt: now }),
      },
    });
    await emitEvent(tx, {
      domain: "whatsapp",
      event: "message_received",
      workspaceId,
      encode: (eventId, occurredAt) => events.MessageReceived.encode({ eventId, occurredAt, workspaceId, message: messageEvent(message) }).finish(),
    });
    if (stop) {
      await this.leads.recordOptOut({
        workspaceId,
        leadId: conversation.leadId,
        channels: [leadsV1.Channel.CHANNEL_VOICE, leadsV1.Channel.CHANNEL_WHATSAPP],
        reason: `replied ${inbound.text.trim().toUpperCase()} on WhatsApp`,
        source: `whatsapp:${message.id}`,
      });
      return { outcome: "opted_out", message };
    }
    if (!conversation.handedOffAt) await tx.$executeRawUnsafe(`select pg_notify('${TURNS_CHANNEL}', $1)`, conversation.id);
    return { outcome: "stored", message };
  }

  /** The lead's conversation; a number that never wrote before becomes a lead (source whatsapp). */
  private async conversationFor(tx: Tx, workspaceId: string, inbound: InboundMessage): Promise<Conversation> {
    const known = await tx.conversation.findFirst({ where: { workspaceId, customer: inbound.from } });
    if (known) return known;
    const leadId = await this.leadFor(workspaceId, inbound);
    return tx.conversation.upsert({
      where: { workspaceId_leadId: { workspaceId, leadId } },
      create: { id: newId("conv"), workspaceId, leadId, provider: inbound.provider, senderId: inbound.senderId, customer: inbound.from, lastMessageAt: this.now() },
      update: { provider: inbound.provider, senderId: inbound.senderId, customer: inbound.from },
    });
  }

  private async leadFor(workspaceId: string, inbound: InboundMessage): Promise<string> {
    try {
      const { lead } = await this.leads.createLead({ workspaceId, phone: inbound.from, name: inbound.profileName || undefined, source: "whatsapp", tags: [] });
      return lead!.id;
    } catch (err) {
      const existing = err instanceof ConflictError || (isDomainError(err) && err.kind === "already_exists") ? (err as ConflictError).details.existing_lead_id : undefined;
      if (typeof existing === "string" && existing) return existing;
      throw err;
    }
  }

  /**
   * A delivery status, applied forward only. The message is found by the provider's id, or by our
   * own id echoed back by the provider (set when a send's answer was lost to a crash).
   */
  async applyStatus(tx: Tx, workspaceId: string, update: StatusUpdate, ourMessageId?: string): Promise<{ outcome: "applied" | "stale" | "unknown_message"; message?: Message; previous?: string }> {
    // Locked first, then read: concurrent callbacks for one message apply one after the other.
    const [row] = await tx.$queryRawUnsafe<{ id: string }[]>(
      `select id from messages where workspace_id = $1 and ((provider = $2 and provider_message_id = $3) or id = $4)
        order by (provider_message_id = $3) desc nulls last limit 1 for update`,
      workspaceId,
      update.provider,
      update.providerMessageId,
      ourMessageId ?? "",
    );
    if (!row) return { outcome: "unknown_message" };
    const message = (await tx.message.findUnique({ where: { id: row.id } }))!;
    const previous = message.status as MessageStatus;
    const forward = movesForward(previous, update.status);
    const adoptsId = !message.providerMessageId;
    if (!forward && !adoptsId) return { outcome: "stale", message };
    const updated = await tx.message.update({
      where: { id: message.id },
      data: {
        ...(adoptsId ? { providerMessageId: update.providerMessageId } : {}),
        ...(forward
          ? { status: update.status, statusRank: statusRank(update.status), errorCode: update.errorCode ?? message.errorCode, errorMessage: update.errorMessage ?? message.errorMessage, updatedAt: this.now() }
          : {}),
      },
    });
    if (forward) {
      await emitEvent(tx, {
        domain: "whatsapp",
        event: "message_status_changed",
        workspaceId,
        encode: (eventId, occurredAt) => events.MessageStatusChanged.encode({ eventId, occurredAt, workspaceId, message: messageEvent(updated), previousStatus: previous }).finish(),
      });
    }
    return { outcome: forward ? "applied" : "stale", message: updated, previous };
  }

  async get(workspaceId: string, id: string): Promise<Conversation> {
    const found = await this.db.conversation.findFirst({ where: { id, workspaceId } });
    if (!found) throw new NotFoundError("conversation");
    return found;
  }

  async list(workspaceId: string, filter: { leadId?: string; limit: number; cursor?: string }): Promise<{ data: Conversation[]; nextCursor?: string }> {
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const rows = await this.db.conversation.findMany({
      where: { workspaceId, ...(filter.leadId ? { leadId: filter.leadId } : {}), ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: "desc" },
      take: filter.limit + 1,
    });
    const data = rows.slice(0, filter.limit);
    return { data, nextCursor: rows.length > filter.limit ? encodeCursor(data.at(-1)!.id) : undefined };
  }

  /** Oldest first, the order a conversation is read in. */
  async messages(workspaceId: string, conversationId: string, page: { limit: number; cursor?: string }): Promise<{ data: Message[]; nextCursor?: string }> {
    await this.get(workspaceId, conversationId);
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await this.db.message.findMany({
      where: { workspaceId, conversationId, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: page.limit + 1,
    });
    const data = rows.slice(0, page.limit);
    return { data, nextCursor: rows.length > page.limit ? encodeCursor(data.at(-1)!.id) : undefined };
  }
}
