import type { InboundEvent, SqlTx } from "@parley/bus";
import { readOptOut } from "@parley/consent-projection";
import { isDomainError } from "@parley/errors";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { events } from "@parley/proto";
import type { Prisma } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../conversations/conversations";
import { templatePayload, type MessageQueue } from "../messaging/message-queue";
import type { TemplateRegistry } from "../templates/template-registry";

const followUps = counter("parley_whatsapp_follow_ups_total", "Voice → WhatsApp follow-ups by outcome", ["outcome"]);

interface FollowUpRule {
  template: { name: string; language: string };
  on: string[];
}

/**
 * The workspace's follow-up rule (`settings.whatsapp_follow_up`): when a call ends without
 * reaching the lead (no answer, voicemail; busy if asked), its template is queued once per lead
 * and template, in the consumer's transaction, so a redelivered event or a second unanswered call
 * sends nothing more. Its first variable is the lead's name.
 */
export function followUpConsumer(leads: LeadsClient, templates: TemplateRegistry, queue: MessageQueue, logger: Logger) {
  return {
    durable: "whatsapp-follow-ups",
    domain: "voice" as const,
    events: ["call_ended"],
    async handler(event: InboundEvent, sqlTx: SqlTx): Promise<void> {
      const tx = sqlTx as unknown as Prisma.TransactionClient;
      const ended = events.CallEnded.decode(event.data);
      const { workspace } = await leads.getWorkspace({ workspaceId: ended.workspaceId });
      const rule = ((workspace?.settings ?? {}) as { whatsapp_follow_up?: FollowUpRule | null }).whatsapp_follow_up;
      if (!rule || !rule.on.includes(ended.endedReason)) return;
      if ((await readOptOut(tx, ended.workspaceId, ended.leadId)).optedOut) return void followUps.inc({ outcome: "opted_out" });
      const key = `follow_up:${rule.template.name}:${rule.template.language}`;
      const taken = await tx.followUp.findUnique({ where: { workspaceId_leadId_rule: { workspaceId: ended.workspaceId, leadId: ended.leadId, rule: key } } });
      if (taken) return void followUps.inc({ outcome: "already_sent" });
      try {
        const template = await templates.approved(ended.workspaceId, rule.template);
        const { lead } = await leads.getLead({ workspaceId: ended.workspaceId, leadId: ended.leadId, timelineLimit: 0 });
        const conversations = await queue.conversationsFor(tx, ended.workspaceId, [{ id: ended.leadId, phone: lead!.phone }]);
        const variables = Array.from({ length: template.variableCount }, (_, i) => (i === 0 ? lead!.name || "there" : ""));
        const message = await queue.enqueue(tx, conversations.get(ended.leadId)!, { template: templatePayload(template, variables), origin: "follow_up" });
        await tx.followUp.create({ data: { workspaceId: ended.workspaceId, leadId: ended.leadId, rule: key, callId: ended.callId, messageId: message.id } });
        followUps.inc({ outcome: "queued" });
      } catch (err) {
        // A rule that cannot be carried out (no WhatsApp integration, an unknown or unapproved
        // template) is the tenant's to fix: logged and counted, not retried forever.
        if (!isDomainError(err) || !["not_found", "failed_precondition"].includes(err.kind)) throw err;
        followUps.inc({ outcome: "rule_not_applicable" });
        logger.warn({ err, workspace_id: ended.workspaceId, call_id: ended.callId }, "whatsapp follow-up not sent");
      }
    },
  };
}
