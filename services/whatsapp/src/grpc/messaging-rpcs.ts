import { PreconditionError, requireField, UpstreamError, ValidationError } from "@parley/errors";
import type { whatsappV1 } from "@parley/proto";
import type { Template } from "../generated/prisma/client.ts";
import type { Broadcasts, BroadcastView } from "../broadcasts/broadcasts";
import type { OutboundMessages } from "../messaging/outbound-messages";
import type { TemplateRegistry } from "../templates/template-registry";
import { toMessage } from "./conversation-rpcs";

const pageSize = (limit: number) => Math.min(Math.max(limit || 50, 1), 200);

export function toTemplate(t: Template): whatsappV1.Template {
  return {
    id: t.id,
    provider: t.provider,
    providerTemplateId: t.providerTemplateId,
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    body: t.body,
    variableCount: t.variableCount,
    isDefault: t.isDefault,
    syncedAt: t.syncedAt,
  };
}

function toBroadcast({ broadcast: b, progress }: BroadcastView): whatsappV1.Broadcast {
  const template = b.template as { name: string; language: string; variables: string[] };
  return {
    id: b.id,
    template: { name: template.name, language: template.language, variables: template.variables },
    ratePerSecond: b.ratePerSecond,
    status: b.status,
    total: progress.total,
    skippedOptedOut: progress.skippedOptedOut,
    byStatus: progress.byStatus,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

export function messagingRpcs(outbound: OutboundMessages, templates: TemplateRegistry, broadcasts: Broadcasts) {
  return {
    async sendMessage(req: whatsappV1.SendMessageRequest): Promise<whatsappV1.SendMessageResponse> {
      const workspaceId = requireField(req.workspaceId, "workspace_id");
      const leadId = requireField(req.leadId, "lead_id");
      if (!!req.text === !!req.template) throw new ValidationError("send text or a template", [{ path: "text", message: "give exactly one of text and template" }]);
      const message = req.template
        ? await outbound.sendTemplate(workspaceId, leadId, { name: requireField(req.template.name, "template.name"), language: requireField(req.template.language, "template.language") }, req.template.variables)
        : await outbound.sendText(workspaceId, leadId, req.text);
      if (message.status === "failed" && message.errorCode === "opted_out") throw new PreconditionError("the lead has opted out of WhatsApp", { message_id: message.id });
      if (message.status === "failed") throw new UpstreamError(`the provider refused the message: ${message.errorMessage ?? message.errorCode}`, { message_id: message.id, provider_code: message.errorCode });
      return { message: toMessage(message) };
    },
    async listTemplates(req: whatsappV1.ListTemplatesRequest): Promise<whatsappV1.ListTemplatesResponse> {
      return { templates: (await templates.list(requireField(req.workspaceId, "workspace_id"), { refresh: req.refresh })).map(toTemplate) };
    },
    async putTemplate(req: whatsappV1.PutTemplateRequest): Promise<whatsappV1.PutTemplateResponse> {
      const ref = { name: requireField(req.name, "name"), language: requireField(req.language, "language") };
      return { template: toTemplate(await templates.setDefault(requireField(req.workspaceId, "workspace_id"), ref, req.isDefault)) };
    },
    async createBroadcast(req: whatsappV1.CreateBroadcastRequest): Promise<whatsappV1.CreateBroadcastResponse> {
      const filter = req.leadFilter ? { status: req.leadFilter.status || undefined, tag: req.leadFilter.tag || undefined, query: req.leadFilter.query || undefined } : undefined;
      const view = await broadcasts.create({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        template: { name: requireField(req.template?.name ?? "", "template.name"), language: requireField(req.template?.language ?? "", "template.language") },
        variables: req.template?.variables ?? [],
        leadIds: req.leadIds,
        filter,
        ratePerSecond: req.ratePerSecond || undefined,
      });
      return { broadcast: toBroadcast(view) };
    },
    async getBroadcast(req: whatsappV1.GetBroadcastRequest): Promise<whatsappV1.GetBroadcastResponse> {
      return { broadcast: toBroadcast(await broadcasts.get(requireField(req.workspaceId, "workspace_id"), requireField(req.broadcastId, "broadcast_id"))) };
    },
    async listBroadcasts(req: whatsappV1.ListBroadcastsRequest): Promise<whatsappV1.ListBroadcastsResponse> {
      const page = await broadcasts.list(requireField(req.workspaceId, "workspace_id"), { limit: pageSize(req.limit), cursor: req.cursor || undefined });
      return { broadcasts: page.data.map(toBroadcast), nextCursor: page.nextCursor ?? "" };
    },
  };
}
