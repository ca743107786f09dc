import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { leadsV1 } from "@parley/proto";
import type { Message, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { statusErrorReason } from "../providers/errors";
import type { StatusUpdate } from "../providers/port";
import type { TemplateRegistry } from "../templates/template-registry";
import { templatePayload, type MessageQueue } from "../messaging/message-queue";
import type { LeadsClient } from "./conversations";

const fallbacks = counter("parley_whatsapp_window_fallbacks_total", "Free text refused outside the window, by what was done", ["outcome"]);

/**
 * What a failed delivery means beyond the message: a recipient who unsubscribed is opted out of
 * every channel; free text refused as outside the 24-hour window (63016 / 131047) is replaced, once,
 * by the workspace's default template, its first variable the lead's name.
 */
export class StatusReactions {
  constructor(
    private readonly leads: LeadsClient,
    private readonly templates: TemplateRegistry,
    private readonly queue: MessageQueue,
    private readonly logger: Logger,
  ) {}

  async onFailed(tx: Prisma.TransactionClient | PrismaClient, message: Message, update: StatusUpdate): Promise<void> {
    const reason = update.errorCode ? statusErrorReason(update.provider, update.errorCode) : undefined;
    if (reason === "unsubscribed") {
      await this.leads.recordOptOut({
        workspaceId: message.workspaceId,
        leadId: message.leadId,
        channels: [leadsV1.Channel.CHANNEL_VOICE, leadsV1.Channel.CHANNEL_WHATSAPP],
        reason: `WhatsApp reported the recipient unsubscribed (${update.provider} ${update.errorCode})`,
        source: `whatsapp:${message.id}`,
      });
    }
    if (reason === "window_closed") await this.fallBack(tx, message);
  }

  private async fallBack(tx: Prisma.TransactionClient | PrismaClient, message: Message): Promise<void> {
    // Only free text falls back, and only once: a template refused as well is final.
    if (message.template || message.fallbackFor) return fallbacks.inc({ outcome: "not_free_text" });
    if (await tx.message.findUnique({ where: { fallbackFor: message.id } })) return fallbacks.inc({ outcome: "already" });
    const template = await this.templates.defaultTemplate(message.workspaceId);
    if (!template) {
      this.logger.warn({ workspace_id: message.workspaceId, message_id: message.id }, "free text refused outside the window and the workspace has no default template");
      return fallbacks.inc({ outcome: "no_default_template" });
    }
    const { lead } = await this.leads.getLead({ workspaceId: message.workspaceId, leadId: message.leadId, timelineLimit: 0 });
    const variables = Array.from({ length: template.variableCount }, (_, i) => (i === 0 ? lead?.name || "there" : ""));
    const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: message.conversationId } });
    await this.queue.enqueue(tx as Prisma.TransactionClient, conversation, { template: templatePayload(template, variables), origin: "fallback", fallbackFor: message.id });
    fallbacks.inc({ outcome: "queued" });
  }
}
