import { NotFoundError, PreconditionError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import type { PrismaClient, Template } from "../generated/prisma/client.ts";
import type { MessagingProviders } from "../messaging/messaging-providers";

export interface TemplateRef {
  name: string;
  language: string;
}

/**
 * The workspace's templates as its provider has them (name, language, category, approval status,
 * body), read again when asked to or when the copy is older than `ttlMs`. Only approved templates
 * may be sent; one may be marked the default, sent in place of free text outside the window.
 */
export class TemplateRegistry {
  constructor(
    private readonly db: PrismaClient,
    private readonly providers: MessagingProviders,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(workspaceId: string, { refresh = false } = {}): Promise<Template[]> {
    const rows = await this.rows(workspaceId);
    const stale = !rows.length || rows.some((t) => this.now().getTime() - t.syncedAt.getTime() > this.ttlMs);
    if (!refresh && !stale) return rows;
    try {
      return await this.sync(workspaceId);
    } catch (err) {
      // A provider outage must not hide what we already know; an explicit refresh says it failed.
      if (refresh || !rows.length) throw err;
      this.logger.warn({ err, workspace_id: workspaceId }, "templates not refreshed; serving the last copy");
      return rows;
    }
  }

  /** Reads the provider's templates and replaces our copy (the default mark is kept). */
  async sync(workspaceId: string): Promise<Template[]> {
    const provider = await this.providers.forWorkspace(workspaceId);
    const remote = await provider.listTemplates();
    const now = this.now();
    await this.db.$transaction(async (tx) => {
      for (const t of remote) {
        await tx.template.upsert({
          where: { workspaceId_provider_name_language: { workspaceId, provider: provider.kind, name: t.name, language: t.language } },
          create: { id: newId("tpl"), workspaceId, provider: provider.kind, providerTemplateId: t.providerTemplateId, name: t.name, language: t.language, category: t.category, status: t.status, body: t.body, variableCount: t.variableCount, syncedAt: now },
          update: { providerTemplateId: t.providerTemplateId, category: t.category, status: t.status, body: t.body, variableCount: t.variableCount, syncedAt: now },
        });
      }
      await tx.template.deleteMany({ where: { workspaceId, provider: provider.kind, syncedAt: { lt: now } } });
    });
    return this.rows(workspaceId);
  }

  /** Marks a template the workspace's default (or takes the mark away); it must exist at the provider. */
  async setDefault(workspaceId: string, ref: TemplateRef, isDefault: boolean): Promise<Template> {
    await this.sync(workspaceId);
    const found = await this.find(workspaceId, ref);
    if (!found) throw new NotFoundError(`template ${ref.name} (${ref.language})`);
    return this.db.$transaction(async (tx) => {
      if (isDefault) await tx.template.updateMany({ where: { workspaceId, isDefault: true, NOT: { id: found.id } }, data: { isDefault: false } });
      return tx.template.update({ where: { id: found.id }, data: { isDefault } });
    });
  }

  /** An approved template to send; read again from the provider if we do not know it yet. */
  async approved(workspaceId: string, ref: TemplateRef): Promise<Template> {
    const found = (await this.find(workspaceId, ref)) ?? (await this.sync(workspaceId), await this.find(workspaceId, ref));
    if (!found) throw new NotFoundError(`template ${ref.name} (${ref.language})`);
    if (found.status !== "APPROVED") throw new PreconditionError(`template ${ref.name} (${ref.language}) is ${found.status.toLowerCase()}: only approved templates can be sent`, { template_status: found.status });
    return found;
  }

  async defaultTemplate(workspaceId: string): Promise<Template | undefined> {
    return (await this.db.template.findFirst({ where: { workspaceId, isDefault: true, status: "APPROVED" } })) ?? undefined;
  }

  private find(workspaceId: string, ref: TemplateRef): Promise<Template | null> {
    return this.db.template.findFirst({ where: { workspaceId, name: ref.name, language: ref.language } });
  }

  private rows(workspaceId: string): Promise<Template[]> {
    return this.db.template.findMany({ where: { workspaceId }, orderBy: [{ name: "asc" }, { language: "asc" }] });
  }
}
