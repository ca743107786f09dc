import { PreconditionError, ValidationError } from "@parley/errors";
import type { Message, PrismaClient, Template } from "../generated/prisma/client.ts";
import type { MessagingProviderKind } from "../providers/port";
import type { TemplateRegistry, TemplateRef } from "../templates/template-registry";
import { templatePayload, type MessageQueue } from "./message-queue";
import { PENDING_CHANNEL } from "./pending-sender";
import { SendLaterError, type MessageSender } from "./message-sender";

function checkVariables(t: Template, variables: string[]): void {
  if (variables.length !== t.variableCount) {
    throw new ValidationError(`template ${t.name} takes ${t.variableCount} variable(s)`, [{ path: "template.variables", message: `must have ${t.variableCount} item(s), got ${variables.length}` }]);
  }
}

/**
 * Messages sent through the API: free text inside the lead's 24-hour window, templates any time.
 * The message is stored, then sent at once; a throttled or unreachable provider leaves it pending
 * for the pacer.
 */
export class OutboundMessages {
  constructor(
    private readonly db: PrismaClient,
    private readonly templates: TemplateRegistry,
    private readonly queue: MessageQueue,
    private readonly sender: MessageSender,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async sendText(workspaceId: string, leadId: string, text: string): Promise<Message> {
    const conversation = await this.db.conversation.findFirst({ where: { workspaceId, leadId } });
    const expires = conversation?.windowExpiresAt;
    if (!conversation || !expires || expires <= this.now()) {
      throw new PreconditionError("outside the 24-hour window: the lead has not written in the last 24 hours, so only a template can be sent", {
        hint: "send { lead_id, template: { name, language, variables } } instead; GET /v1/templates lists the approved ones",
        window_expires_at: expires?.toISOString() ?? null,
      });
    }
    return this.sendNow(await this.queue.create(conversation, { text, origin: "api" }));
  }

  async sendTemplate(workspaceId: string, leadId: string, ref: TemplateRef, variables: string[]): Promise<Message> {
    const template = await this.templates.approved(workspaceId, ref);
    checkVariables(template, variables);
    const conversation = await this.queue.conversationFor(workspaceId, leadId, template.provider as MessagingProviderKind);
    return this.sendNow(await this.queue.create(conversation, { template: templatePayload(template, variables), origin: "api" }));
  }

  private async sendNow(message: Message): Promise<Message> {
    try {
      return (await this.sender.send(message.id)).message;
    } catch (err) {
      if (!(err instanceof SendLaterError)) throw err;
      await this.db.$executeRawUnsafe(`select pg_notify('${PENDING_CHANNEL}', '')`);
      return this.db.message.findUniqueOrThrow({ where: { id: message.id } });
    }
  }
}
