// The assistants directory. An assistant lives on its provider; Parley keeps the provider's id and
// every version of the configuration it pushed there, so a call can say which version it used.
import { ConflictError, NotFoundError, PreconditionError, UpstreamError, ValidationError } from "@parley/errors";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import type { Assistant, AssistantVersion, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { ProviderResolver, ResolvedProvider } from "../domain/calls";
import type { ProviderAssistant } from "../providers/port";
import { webhookEndpoint } from "../providers/webhook-endpoint";
import { CALL_TOOLS } from "../tools/definitions";
import { mergeConfig, parseConfig, toSpec, type AssistantConfig } from "./config";
import { findTemplate } from "./templates";

type Tx = Prisma.TransactionClient;

export interface AssistantView {
  assistant: Assistant;
  version: number;
  config: Record<string, unknown>;
  versions: Pick<AssistantVersion, "version" | "createdAt">[];
}

export interface CreateAssistantInput {
  workspaceId: string;
  name?: string;
  provider?: string;
  template?: string;
  config?: Record<string, unknown>;
  isDefault: boolean;
}

export interface ImportAssistantInput {
  workspaceId: string;
  name?: string;
  provider?: string;
  providerAssistantId: string;
  isDefault: boolean;
}

export interface UpdateAssistantInput {
  workspaceId: string;
  assistantId: string;
  name?: string;
  config?: Record<string, unknown>;
  isDefault?: boolean;
}

/** What a call dials: the provider's assistant, and the directory entry and version when there is one. */
export interface CallAssistant {
  assistantId: string;
  providerAssistantId: string;
  provider?: string;
  version?: number;
}

// An edit holds the row while the provider is updated, so the provider ends on the last version.
const EDIT_TIMEOUT_MS = 60_000;

export class AssistantsDomain {
  constructor(
    private readonly db: PrismaClient,
    private readonly providers: ProviderResolver,
    private readonly publicUrl: string,
    private readonly logger: Logger,
  ) {}

  async create(input: CreateAssistantInput): Promise<AssistantView> {
    const template = input.template ? findTemplate(input.template) : undefined;
    if (input.template && !template) throw new ValidationError(`unknown template ${input.template}`, [{ path: "template", message: "is not a template: GET /v1/assistants/templates lists them" }]);
    if (!template && !input.config) throw new ValidationError("config or template is required", [{ path: "config", message: "is required without a template" }]);
    const config = parseConfig({ ...template?.config, ...input.config });
    const name = (input.name ?? template?.name ?? "").trim();
    if (!name) throw new ValidationError("name is required", [{ path: "name", message: "is required" }]);
    const resolved = await this.providers.resolve(input.workspaceId, input.provider);
    const { providerAssistantId } = await resolved.provider.createAssistant(this.spec(input.workspaceId, resolved, name, config));
    try {
      return await this.insert(input.workspaceId, { name, provider: resolved.kind, providerAssistantId, source: template ? "template" : "created", template: template?.id ?? null }, config, input.isDefault);
    } catch (err) {
      this.logger.error({ err, provider: resolved.kind, provider_assistant_id: providerAssistantId }, "assistant created on the provider but not recorded");
      throw err;
    }
  }

  async importExisting(input: ImportAssistantInput): Promise<AssistantView> {
    const resolved = await this.providers.resolve(input.workspaceId, input.provider);
    const existing = await this.db.assistant.findFirst({ where: { workspaceId: input.workspaceId, provider: resolved.kind, providerAssistantId: input.providerAssistantId, archivedAt: null } });
    if (existing) throw new ConflictError(`this ${resolved.kind} assistant is already in the directory as ${existing.id}`, { existing_id: existing.id });
    let found: ProviderAssistant;
    try {
      found = await resolved.provider.getAssistant(input.providerAssistantId);
    } catch (err) {
      if (err instanceof UpstreamError && err.details.provider_status === 404) {
        throw new ValidationError(`${resolved.kind} has no assistant ${input.providerAssistantId}`, [{ path: "provider_assistant_id", message: `not found on ${resolved.kind}` }]);
      }
      throw err;
    }
    // What Parley could read of it; an edit must complete it before Parley pushes a configuration.
    const config = { ...(found.firstMessage ? { first_message: found.firstMessage } : {}), ...(found.systemPrompt ? { system_prompt: found.systemPrompt } : {}) };
    const name = (input.name ?? "").trim() || found.name || `Imported ${resolved.kind} assistant`;
    return this.insert(input.workspaceId, { name, provider: resolved.kind, providerAssistantId: input.providerAssistantId, source: "imported", template: null }, config, input.isDefault);
  }

  async list(q: { workspaceId: string; limit: number; cursor?: string; includeArchived: boolean }): Promise<{ items: AssistantView[]; nextCursor: string }> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !after) throw new ValidationError("cursor is not valid", [{ path: "cursor", message: "is not a cursor from this API" }]);
    const rows = await this.db.assistant.findMany({
      where: { workspaceId: q.workspaceId, ...(q.includeArchived ? {} : { archivedAt: null }), ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: "desc" },
      take: q.limit + 1,
      include: { versions: { select: { version: true, createdAt: true, config: true }, orderBy: { version: "asc" } } },
    });
    const items = rows.slice(0, q.limit).map((a) => view(a, a.versions, a.currentVersion));
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!.assistant.id) : "" };
  }

  async get(workspaceId: string, assistantId: string, version?: number): Promise<AssistantView> {
    const a = await this.db.assistant.findFirst({ where: { id: assistantId, workspaceId }, include: { versions: { orderBy: { version: "asc" } } } });
    if (!a) throw new NotFoundError("assistant", assistantId);
    if (version && !a.versions.some((v) => v.version === version)) throw new NotFoundError(`version ${version} of assistant`, assistantId);
    return view(a, a.versions, version || a.currentVersion);
  }

  async update(input: UpdateAssistantInput): Promise<AssistantView> {
    const name = input.name?.trim();
    if (input.name !== undefined && !name) throw new ValidationError("name cannot be empty", [{ path: "name", message: "cannot be empty" }]);
    await this.db.$transaction(
      async (tx) => {
        const a = await this.lockLive(tx, input.workspaceId, input.assistantId);
        const renamed = name !== undefined && name !== a.name;
        if (renamed || input.config) {
          const current = await tx.assistantVersion.findUniqueOrThrow({ where: { assistantId_version: { assistantId: a.id, version: a.currentVersion } } });
          const config = mergeConfig(current.config as AssistantConfig, input.config ?? {});
          const resolved = await this.providers.resolve(input.workspaceId, a.provider);
          await resolved.provider.updateAssistant(a.providerAssistantId, this.spec(input.workspaceId, resolved, name ?? a.name, config));
          const version = a.currentVersion + 1;
          await tx.assistantVersion.create({ data: { assistantId: a.id, version, config: config as Prisma.InputJsonValue } });
          await tx.assistant.update({ where: { id: a.id }, data: { name: name ?? a.name, currentVersion: version, updatedAt: new Date() } });
        }
        if (input.isDefault !== undefined && input.isDefault !== a.isDefault) await this.setDefault(tx, a, input.isDefault);
      },
      { timeout: EDIT_TIMEOUT_MS },
    );
    return this.get(input.workspaceId, input.assistantId);
  }

  /** Leaves the provider's assistant alone: it may serve other systems, and calls may still refer to it. */
  async archive(workspaceId: string, assistantId: string): Promise<AssistantView> {
    await this.db.$transaction(async (tx) => {
      const a = await this.lockLive(tx, workspaceId, assistantId);
      const live = await tx.call.count({ where: { workspaceId, assistantId, status: { not: "ended" } } });
      if (live) throw new PreconditionError(`assistant ${assistantId} is on ${live} live call(s); archive it when they end`, { live_calls: live });
      const campaign = await tx.campaign.findFirst({ where: { workspaceId, assistantId, status: { in: ["draft", "running", "paused"] } } });
      if (campaign) throw new PreconditionError(`campaign ${campaign.id} (${campaign.status}) dials with assistant ${assistantId}; cancel it or let it complete first`, { campaign_id: campaign.id });
      await tx.assistant.update({ where: { id: a.id }, data: { archivedAt: new Date(), isDefault: false, updatedAt: new Date() } });
    });
    return this.get(workspaceId, assistantId);
  }

  /**
   * The assistant a call dials: a directory id (asst_…), a provider's own id as given, or when none
   * is named the workspace's default — or, for a call on another provider, its newest assistant
   * there. Undefined when there is nothing to choose.
   */
  async forCall(workspaceId: string, requested?: string, provider?: string): Promise<CallAssistant | undefined> {
    if (requested && !requested.startsWith("asst_")) return { assistantId: requested, providerAssistantId: requested };
    const a = requested
      ? await this.db.assistant.findFirst({ where: { id: requested, workspaceId, archivedAt: null } })
      : await this.db.assistant.findFirst({
          where: { workspaceId, archivedAt: null, ...(provider ? { provider } : { isDefault: true }) },
          orderBy: [{ isDefault: "desc" }, { id: "desc" }],
        });
    if (requested && !a) throw new ValidationError(`no assistant ${requested} in this workspace`, [{ path: "assistant_id", message: "not found (or archived)" }]);
    return a ? { assistantId: a.id, providerAssistantId: a.providerAssistantId, provider: a.provider, version: a.currentVersion } : undefined;
  }

  private spec(workspaceId: string, resolved: ResolvedProvider, name: string, config: AssistantConfig) {
    return toSpec(name, config, webhookEndpoint(this.publicUrl, resolved.kind, workspaceId, resolved.webhookSecret), CALL_TOOLS);
  }

  private async insert(
    workspaceId: string,
    fields: Pick<Assistant, "name" | "provider" | "providerAssistantId" | "source" | "template">,
    config: Record<string, unknown>,
    isDefault: boolean,
  ): Promise<AssistantView> {
    const id = newId("asst");
    await this.db.$transaction(async (tx) => {
      // The workspace's first assistant is its default, so calls work without naming one.
      const first = (await tx.assistant.count({ where: { workspaceId, archivedAt: null } })) === 0;
      if (isDefault) await tx.assistant.updateMany({ where: { workspaceId, isDefault: true }, data: { isDefault: false } });
      await tx.assistant.create({ data: { id, workspaceId, ...fields, isDefault: isDefault || first } });
      await tx.assistantVersion.create({ data: { assistantId: id, version: 1, config: config as Prisma.InputJsonValue } });
    });
    return this.get(workspaceId, id);
  }

  private async lockLive(tx: Tx, workspaceId: string, assistantId: string): Promise<Assistant> {
    await tx.$executeRawUnsafe("select 1 from assistants where id = $1 and workspace_id = $2 for update", assistantId, workspaceId);
    const a = await tx.assistant.findFirst({ where: { id: assistantId, workspaceId } });
    if (!a) throw new NotFoundError("assistant", assistantId);
    if (a.archivedAt) throw new PreconditionError(`assistant ${assistantId} is archived`, { archived_at: a.archivedAt.toISOString() });
    return a;
  }

  private async setDefault(tx: Tx, a: Assistant, isDefault: boolean): Promise<void> {
    if (isDefault) await tx.assistant.updateMany({ where: { workspaceId: a.workspaceId, isDefault: true }, data: { isDefault: false } });
    await tx.assistant.update({ where: { id: a.id }, data: { isDefault, updatedAt: new Date() } });
  }
}

function view(a: Assistant, versions: Pick<AssistantVersion, "version" | "createdAt" | "config">[], version: number): AssistantView {
  const shown = versions.find((v) => v.version === version);
  return { assistant: a, version, config: (shown?.config ?? {}) as Record<string, unknown>, versions: versions.map((v) => ({ version: v.version, createdAt: v.createdAt })) };
}
