import { NotFoundError, ValidationError } from "@parley/errors";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import type { Broadcast, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { TemplateRegistry, TemplateRef } from "../templates/template-registry";
import { PREPARE_CHANNEL } from "./broadcast-preparer";

export interface LeadFilter {
  status?: string;
  tag?: string;
  query?: string;
}

export interface BroadcastInput {
  workspaceId: string;
  template: TemplateRef;
  variables: string[];
  leadIds: string[];
  filter?: LeadFilter;
  ratePerSecond?: number;
}

export interface BroadcastProgress {
  total: number;
  skippedOptedOut: number;
  byStatus: Record<string, number>;
}

export interface BroadcastView {
  broadcast: Broadcast;
  progress: BroadcastProgress;
}

/** A template to many leads: created here, its leads enumerated by the preparer, sent by the pacer. */
export class Broadcasts {
  constructor(
    private readonly db: PrismaClient,
    private readonly templates: TemplateRegistry,
    private readonly maxRate: number,
  ) {}

  async create(input: BroadcastInput): Promise<BroadcastView> {
    if (!input.leadIds.length && !input.filter) throw new ValidationError("name the leads", [{ path: "lead_ids", message: "give lead_ids or a lead_filter" }]);
    if (input.ratePerSecond !== undefined && (input.ratePerSecond < 1 || input.ratePerSecond > this.maxRate)) {
      throw new ValidationError("rate out of range", [{ path: "rate_per_second", message: `between 1 and ${this.maxRate} (the sender's limit)` }]);
    }
    const template = await this.templates.approved(input.workspaceId, input.template);
    if (input.variables.length !== template.variableCount) {
      throw new ValidationError(`template ${template.name} takes ${template.variableCount} variable(s)`, [{ path: "template.variables", message: `must have ${template.variableCount} item(s)` }]);
    }
    const broadcast = await this.db.$transaction(async (tx) => {
      const created = await tx.broadcast.create({
        data: {
          id: newId("bc"),
          workspaceId: input.workspaceId,
          template: { name: template.name, language: template.language, providerTemplateId: template.providerTemplateId, variables: input.variables },
          ratePerSecond: input.ratePerSecond ?? this.maxRate,
          status: "preparing",
          leadIds: [...new Set(input.leadIds)],
          leadFilter: (input.filter ?? undefined) as Prisma.InputJsonObject | undefined,
        },
      });
      await tx.$executeRawUnsafe(`select pg_notify('${PREPARE_CHANNEL}', '')`);
      return created;
    });
    return { broadcast, progress: { total: 0, skippedOptedOut: 0, byStatus: {} } };
  }

  async get(workspaceId: string, id: string): Promise<BroadcastView> {
    const broadcast = await this.db.broadcast.findFirst({ where: { id, workspaceId } });
    if (!broadcast) throw new NotFoundError("broadcast");
    return { broadcast, progress: await this.progress(broadcast) };
  }

  async list(workspaceId: string, page: { limit: number; cursor?: string }): Promise<{ data: BroadcastView[]; nextCursor?: string }> {
    const before = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await this.db.broadcast.findMany({ where: { workspaceId, ...(before ? { id: { lt: before } } : {}) }, orderBy: { id: "desc" }, take: page.limit + 1 });
    const data = await Promise.all(rows.slice(0, page.limit).map(async (b) => ({ broadcast: b, progress: await this.progress(b) })));
    return { data, nextCursor: rows.length > page.limit ? encodeCursor(data.at(-1)!.broadcast.id) : undefined };
  }

  private async progress(b: Broadcast): Promise<BroadcastProgress> {
    const groups = await this.db.message.groupBy({ by: ["status"], where: { broadcastId: b.id }, _count: { _all: true } });
    return { total: b.total, skippedOptedOut: b.skippedOptedOut, byStatus: Object.fromEntries(groups.map((g) => [g.status, g._count._all])) };
  }
}
