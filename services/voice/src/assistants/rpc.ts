import { requireField } from "@parley/errors";
import type { voiceV1 } from "@parley/proto";
import type { AssistantsDomain, AssistantView } from "./assistants";
import { ASSISTANT_TEMPLATES } from "./templates";

function toAssistant({ assistant: a, version, config, versions }: AssistantView): voiceV1.Assistant {
  return {
    id: a.id,
    name: a.name,
    provider: a.provider,
    providerAssistantId: a.providerAssistantId,
    source: a.source,
    template: a.template ?? "",
    version,
    isDefault: a.isDefault,
    config,
    versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt })),
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    archivedAt: a.archivedAt ?? undefined,
  };
}

export function assistantRpcs(assistants: AssistantsDomain) {
  return {
    async createAssistant(req: voiceV1.CreateAssistantRequest): Promise<voiceV1.CreateAssistantResponse> {
      const workspaceId = requireField(req.workspaceId, "workspace_id");
      const common = { workspaceId, name: req.name || undefined, provider: req.provider || undefined, isDefault: req.isDefault };
      const view = req.providerAssistantId
        ? await assistants.importExisting({ ...common, providerAssistantId: req.providerAssistantId })
        : await assistants.create({ ...common, template: req.template || undefined, config: req.config });
      return { assistant: toAssistant(view) };
    },
    async listAssistants(req: voiceV1.ListAssistantsRequest): Promise<voiceV1.ListAssistantsResponse> {
      const page = await assistants.list({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        limit: Math.min(Math.max(req.limit || 50, 1), 200),
        cursor: req.cursor || undefined,
        includeArchived: req.includeArchived,
      });
      return { assistants: page.items.map(toAssistant), nextCursor: page.nextCursor };
    },
    async getAssistant(req: voiceV1.GetAssistantRequest): Promise<voiceV1.GetAssistantResponse> {
      return { assistant: toAssistant(await assistants.get(requireField(req.workspaceId, "workspace_id"), requireField(req.assistantId, "assistant_id"), req.version || undefined)) };
    },
    async updateAssistant(req: voiceV1.UpdateAssistantRequest): Promise<voiceV1.UpdateAssistantResponse> {
      const view = await assistants.update({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        assistantId: requireField(req.assistantId, "assistant_id"),
        name: req.name || undefined,
        config: req.config,
        isDefault: req.isDefault,
      });
      return { assistant: toAssistant(view) };
    },
    async archiveAssistant(req: voiceV1.ArchiveAssistantRequest): Promise<voiceV1.ArchiveAssistantResponse> {
      return { assistant: toAssistant(await assistants.archive(requireField(req.workspaceId, "workspace_id"), requireField(req.assistantId, "assistant_id"))) };
    },
    async listAssistantTemplates(): Promise<voiceV1.ListAssistantTemplatesResponse> {
      return { templates: ASSISTANT_TEMPLATES.map((t) => ({ id: t.id, name: t.name, description: t.description, config: t.config })) };
    },
  };
}
