import { ConflictError, NotFoundError, ValidationError } from "@parley/errors";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import { Prisma, type Lead, type PrismaClient, type TimelineEntry } from "../generated/prisma/client.ts";
import { emitLeadCreated, emitLeadDeleted, emitLeadOptedOut, emitLeadUpdated } from "../events/emit";
import { LeadFieldChecks } from "./lead-input";
import { normalisePhone } from "./phone";
import type { Settings } from "./workspace-settings";
import { TimelineCursor } from "./timeline-cursor";

type Tx = Prisma.TransactionClient;
export type Channel = "voice" | "whatsapp";
export const CHANNELS: readonly Channel[] = ["voice", "whatsapp"];

export interface CreateLeadInput {
  workspaceId: string;
  phone: string;
  name?: string;
  email?: string;
  businessName?: string;
  timezone?: string;
  tags: string[];
  metadata?: Record<string, unknown>;
  formResponses?: Record<string, unknown>;
  source: string;
}

export interface UpdateLeadInput {
  workspaceId: string;
  leadId: string;
  phone?: string;
  name?: string;
  email?: string;
  businessName?: string;
  timezone?: string;
  status?: string;
  tags?: string[];
  metadata?: Record<string, unknown>;
  formResponses?: Record<string, unknown>;
  clearFields: string[];
}

export interface ListLeadsQuery {
  workspaceId: string;
  status?: string;
  tag?: string;
  query?: string;
  /** Only these leads. */
  ids?: string[];
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string;
}

const CLEARABLE = new Set(["name", "email", "business_name", "timezone"]);
const SOURCES = new Set(["api", "form", "csv", "whatsapp", "voice"]);

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}

function duplicate(existingLeadId: string | null): ConflictError {
  return new ConflictError("a lead with this phone number already exists in this workspace", { existing_lead_id: existingLeadId });
}

export class LeadsDomain {
  constructor(private readonly db: PrismaClient) {}

  private async workspaceSettings(tx: Tx | PrismaClient, workspaceId: string): Promise<Settings> {
    const ws = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { settings: true } });
    if (!ws) throw new NotFoundError("workspace", workspaceId);
    return ws.settings as Settings;
  }

  private async findLead(tx: Tx | PrismaClient, workspaceId: string, leadId: string): Promise<Lead> {
    // Scoped by workspace: another tenant's lead is indistinguishable from a missing one.
    const lead = await tx.lead.findFirst({ where: { id: leadId, workspaceId } });
    if (!lead) throw new NotFoundError("lead", leadId);
    return lead;
  }

  private async duplicateOf(workspaceId: string, phone: string): Promise<ConflictError> {
    const existing = await this.db.lead.findUnique({ where: { workspaceId_phone: { workspaceId, phone } }, select: { id: true } });
    return duplicate(existing?.id ?? null);
  }

  private async optedOutChannels(tx: Tx, workspaceId: string, phone: string): Promise<Set<string>> {
    const rows = await tx.optOut.findMany({ where: { workspaceId, phone }, select: { channel: true }, distinct: ["channel"] });
    return new Set(rows.map((r) => r.channel));
  }

  async create(input: CreateLeadInput): Promise<Lead> {
    const settings = await this.workspaceSettings(this.db, input.workspaceId);
    const checks = new LeadFieldChecks();
    let phone = "";
    try {
      phone = normalisePhone(input.phone, settings.default_country);
    } catch (err) {
      if (err instanceof ValidationError) checks.errors.push(...err.errors);
      else throw err;
    }
    const source = input.source || "api";
    if (!SOURCES.has(source)) checks.errors.push({ path: "source", message: `one of ${[...SOURCES].join(", ")}` });
    const data = {
      name: checks.text("name", input.name, 200),
      email: checks.email(input.email),
      businessName: checks.text("business_name", input.businessName, 200),
      timezone: checks.timezone(input.timezone),
      tags: checks.tags(input.tags),
      metadata: checks.json("metadata", input.metadata) ?? {},
      formResponses: checks.json("form_responses", input.formResponses) ?? {},
    };
    checks.throwIfAny();

    const existing = await this.db.lead.findUnique({ where: { workspaceId_phone: { workspaceId: input.workspaceId, phone } }, select: { id: true } });
    if (existing) throw duplicate(existing.id);
    try {
      return await this.db.$transaction(async (tx) => {
        const optedOut = await this.optedOutChannels(tx, input.workspaceId, phone);
        const lead = await tx.lead.create({
          data: {
            id: newId("ld"),
            workspaceId: input.workspaceId,
            phone,
            source,
            optedOutVoice: optedOut.has("voice"),
            optedOutWhatsapp: optedOut.has("whatsapp"),
            ...data,
            metadata: data.metadata as Prisma.InputJsonObject,
            formResponses: data.formResponses as Prisma.InputJsonObject,
          },
        });
        await this.addTimeline(tx, lead, "lead_created", `Lead created (${source})`, { source });
        await emitLeadCreated(tx, lead);
        return lead;
      });
    } catch (err) {
      // Two creators raced past the pre-check: the unique index decides, the loser gets the winner's id.
      if (isUniqueViolation(err)) throw await this.duplicateOf(input.workspaceId, phone);
      throw err;
    }
  }

  get(workspaceId: string, leadId: string): Promise<Lead> {
    return this.findLead(this.db, workspaceId, leadId);
  }

  async list(q: ListLeadsQuery): Promise<Page<Lead>> {
    const afterId = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !afterId) throw new ValidationError("invalid cursor", [{ path: "cursor", message: "not a cursor from a previous page" }]);
    const where: Prisma.LeadWhereInput = { workspaceId: q.workspaceId };
    if (q.status) where.status = q.status;
    if (q.tag) where.tags = { has: q.tag.trim().toLowerCase() };
    if (afterId || q.ids?.length) where.id = { ...(afterId ? { lt: afterId } : {}), ...(q.ids?.length ? { in: q.ids } : {}) };
    if (q.query?.trim()) {
      const text = q.query.trim();
      const digits = text.replace(/\D/g, "");
      where.OR = [
        { name: { contains: text, mode: "insensitive" } },
        { email: { contains: text, mode: "insensitive" } },
        { businessName: { contains: text, mode: "insensitive" } },
        ...(digits.length >= 3 ? [{ phone: { contains: digits } }] : []),
      ];
    }
    const rows = await this.db.lead.findMany({ where, orderBy: { id: "desc" }, take: q.limit + 1 });
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items[items.length - 1]!.id) : "" };
  }

  async update(input: UpdateLeadInput): Promise<Lead> {
    const checks = new LeadFieldChecks();
    for (const field of input.clearFields)
      if (!CLEARABLE.has(field)) checks.errors.push({ path: field, message: "cannot be cleared" });
    const settings = await this.workspaceSettings(this.db, input.workspaceId);
    let phone: string | undefined;
    if (input.phone !== undefined) {
      try {
        phone = normalisePhone(input.phone, settings.default_country);
      } catch (err) {
        if (err instanceof ValidationError) checks.errors.push(...err.errors);
        else throw err;
      }
    }
    const patch: Prisma.LeadUpdateInput = {};
    const set = <K extends keyof Prisma.LeadUpdateInput>(key: K, value: Prisma.LeadUpdateInput[K] | undefined) => {
      if (value !== undefined) patch[key] = value;
    };
    set("phone", phone);
    set("name", checks.text("name", input.name, 200));
    set("email", checks.email(input.email));
    set("businessName", checks.text("business_name", input.businessName, 200));
    set("timezone", checks.timezone(input.timezone));
    set("status", checks.status(input.status));
    if (input.tags) patch.tags = checks.tags(input.tags);
    const metadata = checks.json("metadata", input.metadata);
    const formResponses = checks.json("form_responses", input.formResponses);
    checks.throwIfAny();
    const clearKey: Record<string, "name" | "email" | "businessName" | "timezone"> = {
      name: "name",
      email: "email",
      business_name: "businessName",
      timezone: "timezone",
    };
    for (const field of input.clearFields) patch[clearKey[field]!] = null;

    try {
      return await this.db.$transaction(async (tx) => {
        const before = await this.findLead(tx, input.workspaceId, input.leadId);
        // Metadata and form responses merge key by key, so partial updates never drop data.
        if (metadata) patch.metadata = { ...(before.metadata as object), ...metadata } as Prisma.InputJsonObject;
        if (formResponses) patch.formResponses = { ...(before.formResponses as object), ...formResponses } as Prisma.InputJsonObject;
        const after = await tx.lead.update({ where: { id: before.id }, data: patch });
        const changed = changedFields(before, after);
        if (changed.length === 0) return before;
        if (before.status !== after.status)
          await this.addTimeline(tx, after, "status_changed", `Status ${before.status} → ${after.status}`, { from: before.status, to: after.status });
        await this.addTimeline(tx, after, "lead_updated", `Updated ${changed.join(", ")}`, { changed_fields: changed });
        await emitLeadUpdated(tx, after, changed);
        return after;
      });
    } catch (err) {
      if (isUniqueViolation(err) && phone) throw await this.duplicateOf(input.workspaceId, phone);
      throw err;
    }
  }

  async delete(workspaceId: string, leadId: string): Promise<void> {
    await this.db.$transaction(async (tx) => {
      const lead = await this.findLead(tx, workspaceId, leadId);
      await tx.lead.delete({ where: { id: lead.id } });
      await emitLeadDeleted(tx, workspaceId, lead.id);
    });
  }

  /** Appends to the consent ledger; channels already opted out are not recorded twice and emit nothing. */
  async optOut(workspaceId: string, leadId: string, channels: Channel[], reason: string, source: string): Promise<Lead> {
    return this.db.$transaction((tx) => this.optOutIn(tx, workspaceId, leadId, channels, reason, source));
  }

  /** optOut() inside the caller's transaction (a consumer's, with its inbox row). */
  async optOutIn(tx: Prisma.TransactionClient, workspaceId: string, leadId: string, channels: Channel[], reason: string, source: string): Promise<Lead> {
    const requested = channels.length ? [...new Set(channels)] : [...CHANNELS];
    // Row lock: concurrent opt-outs of one lead serialise, so the ledger never double-records.
    await tx.$queryRawUnsafe("select id from leads where id = $1 and workspace_id = $2 for update", leadId, workspaceId);
    const lead = await this.findLead(tx, workspaceId, leadId);
    const already = new Set<Channel>([...(lead.optedOutVoice ? ["voice" as const] : []), ...(lead.optedOutWhatsapp ? ["whatsapp" as const] : [])]);
    const fresh = requested.filter((c) => !already.has(c));
    if (fresh.length === 0) return lead;
    await tx.optOut.createMany({
      data: fresh.map((channel) => ({ id: newId("opt"), workspaceId, phone: lead.phone, channel, reason, source, leadId: lead.id })),
    });
    const updated = await tx.lead.update({
      where: { id: lead.id },
      data: {
        ...(fresh.includes("voice") ? { optedOutVoice: true } : {}),
        ...(fresh.includes("whatsapp") ? { optedOutWhatsapp: true } : {}),
      },
    });
    await this.addTimeline(tx, updated, "opted_out", `Opted out of ${fresh.join(" and ")}${reason ? `: ${reason}` : ""}`, {
      channels: fresh,
      reason,
      source,
    });
    await emitLeadOptedOut(tx, updated, fresh, reason, source);
    return updated;
  }

  async consent(workspaceId: string, leadId: string, channel: Channel): Promise<{ allowed: boolean; reason: string }> {
    const lead = await this.findLead(this.db, workspaceId, leadId);
    const optedOut = channel === "voice" ? lead.optedOutVoice : lead.optedOutWhatsapp;
    return optedOut ? { allowed: false, reason: `lead opted out of ${channel}` } : { allowed: true, reason: "" };
  }

  async timeline(workspaceId: string, leadId: string, limit: number, cursor?: string): Promise<Page<TimelineEntry>> {
    await this.findLead(this.db, workspaceId, leadId);
    const after = cursor ? TimelineCursor.decode(cursor) : undefined;
    const rows = await this.db.timelineEntry.findMany({
      where: {
        leadId,
        workspaceId,
        ...(after
          ? { OR: [{ occurredAt: { gt: after.occurredAt } }, { occurredAt: after.occurredAt, id: { gt: after.id } }] }
          : {}),
      },
      orderBy: [{ occurredAt: "asc" }, { id: "asc" }],
      take: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? TimelineCursor.encode(last) : "" };
  }

  /** The latest `limit` entries in time order: the preview on a lead page. */
  async recentTimeline(workspaceId: string, leadId: string, limit: number): Promise<TimelineEntry[]> {
    const rows = await this.db.timelineEntry.findMany({ where: { leadId, workspaceId }, orderBy: [{ occurredAt: "desc" }, { id: "desc" }], take: limit });
    return rows.reverse();
  }

  /** Appends to the lead's timeline inside the caller's transaction; `occurredAt` is when it happened elsewhere. */
  async addTimeline(tx: Tx, lead: Lead, kind: string, summary: string, data: Record<string, unknown>, occurredAt = new Date()): Promise<void> {
    await tx.timelineEntry.create({
      data: { id: newId("tl"), workspaceId: lead.workspaceId, leadId: lead.id, kind, summary, data: data as Prisma.InputJsonObject, occurredAt },
    });
  }

  /** A status change caused by another service's event: the status, its timeline entry and leads.lead_updated. */
  async changeStatusIn(tx: Tx, lead: Lead, to: string, occurredAt: Date): Promise<Lead> {
    const after = await tx.lead.update({ where: { id: lead.id }, data: { status: to } });
    await this.addTimeline(tx, after, "status_changed", `Status ${lead.status} → ${to}`, { from: lead.status, to }, occurredAt);
    await emitLeadUpdated(tx, after, ["status"]);
    return after;
  }
}

const TRACKED: [keyof Lead, string][] = [
  ["phone", "phone"],
  ["name", "name"],
  ["email", "email"],
  ["businessName", "business_name"],
  ["timezone", "timezone"],
  ["status", "status"],
  ["tags", "tags"],
  ["metadata", "metadata"],
  ["formResponses", "form_responses"],
];

function changedFields(before: Lead, after: Lead): string[] {
  return TRACKED.filter(([key]) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).map(([, name]) => name);
}
