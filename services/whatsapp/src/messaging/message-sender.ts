import { emitEvent } from "@parley/bus";
import { readOptOut } from "@parley/consent-projection";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { events, leadsV1 } from "@parley/proto";
import type { Message, PrismaClient } from "../generated/prisma/client.ts";
import { messageEvent, type LeadsClient } from "../conversations/conversations";
import { statusRank } from "../conversations/message-status";
import type { StatusReactions } from "../conversations/status-reactions";
import { MessagingProviderError } from "../providers/errors";
import type { MessagingProviderKind, OutboundMessage } from "../providers/port";
import type { MessagingProviders } from "./messaging-providers";

const sends = counter("parley_whatsapp_sends_total", "WhatsApp sends by provider and outcome", ["provider", "outcome"]);

/** The send could not happen now and may later (throttling, an outage): the message is pending again. */
export class SendLaterError extends Error {
  constructor(
    readonly retryAfterMs: number | undefined,
    options: { cause: unknown },
  ) {
    super("the provider could not take the message now", options);
  }
}

export type SendOutcome = { sent: true; message: Message } | { sent: false; message: Message; reason: "opted_out" | "failed" | "already_sent" };

interface Template {
  name: string;
  language: string;
  providerTemplateId?: string;
  variables: string[];
}

/**
 * Sends one stored outbound message, at most once. The message is marked `sending` (committed)
 * before the provider is called; if the process dies before the provider's answer is stored, the
 * message stays `sending` and is never sent again by us: the provider's status callback, which
 * carries our message id, completes it. Consent is checked right before the send, on both the
 * local projection and leads (fail closed).
 */
export class MessageSender {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly providers: MessagingProviders,
    private readonly reactions: StatusReactions,
    private readonly publicUrl: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `beforeProviderCall` is awaited right before the provider is called: a pacer's gate. */
  async send(messageId: string, beforeProviderCall?: () => Promise<void>): Promise<SendOutcome> {
    const claimed = await this.claim(messageId);
    if (!claimed.ok) return { sent: false, message: claimed.message, reason: claimed.reason };
    const message = claimed.message;
    const conversation = await this.db.conversation.findUniqueOrThrow({ where: { id: message.conversationId } });
    let providerKind: MessagingProviderKind = conversation.provider as MessagingProviderKind;
    try {
      const provider = await this.providers.forWorkspace(message.workspaceId, providerKind);
      providerKind = provider.kind;
      await beforeProviderCall?.();
      const result = await provider.send(this.outbound(message, conversation.customer));
      sends.inc({ provider: provider.kind, outcome: "accepted" });
      return { sent: true, message: await this.accepted(message, provider.kind, result.providerMessageId) };
    } catch (err) {
      if (err instanceof MessagingProviderError && err.retryable) {
        sends.inc({ provider: providerKind, outcome: err.reason });
        await this.db.message.update({ where: { id: message.id }, data: { status: "pending", statusRank: statusRank("pending"), sendStartedAt: null, updatedAt: this.now() } });
        throw new SendLaterError(err.retryAfterMs, { cause: err });
      }
      const code = err instanceof MessagingProviderError ? err.code : "send_failed";
      sends.inc({ provider: providerKind, outcome: err instanceof MessagingProviderError ? err.reason : "error" });
      this.logger.warn({ err, message_id: message.id, workspace_id: message.workspaceId }, "whatsapp send refused");
      const failed = await this.failed(message, providerKind, code, err instanceof Error ? err.message : String(err));
      if (err instanceof MessagingProviderError) await this.reactions.onFailed(this.db, failed, { provider: providerKind, providerMessageId: "", status: "failed", errorCode: err.code, at: this.now() });
      return { sent: false, message: failed, reason: "failed" };
    }
  }

  /** pending → sending, after the consent check; anything else was sent (or refused) already. */
  private async claim(messageId: string): Promise<{ ok: true; message: Message } | { ok: false; message: Message; reason: "opted_out" | "already_sent" }> {
    const message = await this.db.message.findUniqueOrThrow({ where: { id: messageId } });
    if (message.status !== "pending") return { ok: false, message, reason: "already_sent" };
    const [consent, projection] = await Promise.all([
      this.leads.checkConsent({ workspaceId: message.workspaceId, leadId: message.leadId, channel: leadsV1.Channel.CHANNEL_WHATSAPP }),
      readOptOut(this.db, message.workspaceId, message.leadId),
    ]);
    if (!consent.allowed || projection.optedOut) {
      const refused = await this.db.message.update({
        where: { id: message.id },
        data: { status: "failed", statusRank: statusRank("failed"), errorCode: "opted_out", errorMessage: "the lead has opted out of WhatsApp", updatedAt: this.now() },
      });
      sends.inc({ provider: message.provider, outcome: "opted_out" });
      return { ok: false, message: refused, reason: "opted_out" };
    }
    const { count } = await this.db.message.updateMany({
      where: { id: message.id, status: "pending" },
      data: { status: "sending", statusRank: statusRank("sending"), sendStartedAt: this.now(), updatedAt: this.now() },
    });
    if (count === 0) return { ok: false, message: await this.db.message.findUniqueOrThrow({ where: { id: messageId } }), reason: "already_sent" };
    return { ok: true, message };
  }

  private outbound(message: Message, to: string): OutboundMessage {
    const statusCallbackUrl = `${this.publicUrl.replace(/\/$/, "")}/webhooks/twilio/status?${new URLSearchParams({ workspace: message.workspaceId, message: message.id })}`;
    const template = message.template as Template | null;
    if (template) return { kind: "template", to, template, statusCallbackUrl, callbackData: message.id };
    return { kind: "text", to, text: message.text, statusCallbackUrl, callbackData: message.id };
  }

  /** The provider took it: its id is kept (unless a status callback got here first) and it moves to queued. */
  private async accepted(message: Message, provider: MessagingProviderKind, providerMessageId: string): Promise<Message> {
    return this.db.$transaction(async (tx) => {
      await tx.$queryRawUnsafe("select id from messages where id = $1 for update", message.id);
      const current = await tx.message.findUniqueOrThrow({ where: { id: message.id } });
      const updated = await tx.message.update({
        where: { id: message.id },
        data: {
          provider,
          providerMessageId: current.providerMessageId ?? providerMessageId,
          ...(current.status === "sending" ? { status: "queued", statusRank: statusRank("queued") } : {}),
          updatedAt: this.now(),
        },
      });
      await tx.conversation.update({ where: { id: message.conversationId }, data: { lastMessageAt: this.now() } });
      await emitEvent(tx, {
        domain: "whatsapp",
        event: "message_sent",
        workspaceId: message.workspaceId,
        encode: (eventId, occurredAt) => events.MessageSent.encode({ eventId, occurredAt, workspaceId: message.workspaceId, message: messageEvent(updated) }).finish(),
      });
      return updated;
    });
  }

  private failed(message: Message, provider: MessagingProviderKind, code: string, detail: string): Promise<Message> {
    return this.db.message.update({
      where: { id: message.id },
      data: { provider, status: "failed", statusRank: statusRank("failed"), errorCode: code, errorMessage: detail.slice(0, 500), updatedAt: this.now() },
    });
  }
}
