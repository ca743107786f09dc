// Campaigns: a named queue of leads, an assistant, a schedule, caps and a retry policy, moving
// draft → running ⇄ paused → completed | cancelled. The dispatcher dials what is queued; this module
// owns the rules of the states and the queue's contents.
import { emitEvent } from "@parley/bus";
import { NotFoundError, PreconditionError, ValidationError } from "@parley/errors";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import { events, type leadsV1 } from "@parley/proto";
import type { z } from "zod";
import type { Campaign, CampaignLead, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { AssistantsDomain } from "../assistants/assistants";
import type { LeadsClient, ProviderResolver } from "../domain/calls";
import { nextOpening } from "../domain/calling-hours";
import { wakeDispatchers } from "./leases";
import { leadZones } from "./lead-zones";
import { retryPolicySchema, type RetryPolicy } from "./retry-policy";
import { resolveSchedule, scheduleSchema, type Schedule } from "./schedule";
import type { WorkspaceDirectory } from "./workspaces";

type Tx = Prisma.TransactionClient;

export type CampaignStatus = "draft" | "running" | "paused" | "completed" | "cancelled";
export type CampaignAction = "start" | "pause" | "resume" | "cancel";

export interface LeadFilter {
  status?: string;
  tag?: string;
  query?: string;
}

export interface CreateCampaignInput {
  workspaceId: string;
  name: string;
  assistantId?: string;
  leadIds: string[];
  leadFilter?: LeadFilter;
  schedule: unknown;
  maxConcurrency?: number;
  retryPolicy: unknown;
}

export interface Progress {
  total: number;
  queued: number;
  dialing: number;
  inProgress: number;
  completed: number;
  failed: number;
  cancelled: number;
  byOutcome: Record<string, number>;
  calls: number;
}

export interface CampaignView {
  campaign: Campaign;
  progress: Progress;
}

export interface EnqueueResult {
  added: number;
  alreadyQueued: number;
  notFound: string[];
}

// From each state, what each action leads to; an action repeated in its own state changes nothing.
const MOVES: Record<CampaignAction, { from: CampaignStatus[]; to: CampaignStatus }> = {
  start: { from: ["draft"], to: "running" },
  pause: { from: ["running"], to: "paused" },
  resume: { from: ["paused"], to: "running" },
  cancel: { from: ["draft", "running", "paused"], to: "cancelled" },
};
const OPEN: CampaignStatus[] = ["draft", "running", "paused"];
const MAX_LEAD_IDS = 10_000;
/** Leads read by id per request (leads' page limit). */
const LOOKUP_BATCH = 200;

function parse<S extends z.ZodType>(schema: S, value: unknown, path: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationError(`invalid ${path}`, result.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join("."), message: i.message })));
}

/**
 * Serialises the changes to one campaign (its status, and its leads finishing): whoever completes
 * or pauses it sees every other change committed first.
 */
export async function lockCampaign(tx: Tx, campaignId: string): Promise<void> {
  await tx.$executeRawUnsafe("select 1 from campaigns where id = $1 for update", campaignId);
}

export const policyOf = (c: Campaign): RetryPolicy => retryPolicySchema.parse(c.retryPolicy);
export const scheduleOf = (c: Campaign): Schedule => scheduleSchema.parse(c.schedule);

export class CampaignsDomain {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly workspaces: WorkspaceDirectory,
    private readonly assistants: AssistantsDomain,
    private readonly providers: ProviderResolver,
    private readonly now: () => Date,
  ) {}

  async create(input: CreateCampaignInput): Promise<CampaignView> {
    const schedule = parse(scheduleSchema, input.schedule, "schedule");
    const retryPolicy = parse(retryPolicySchema, input.retryPolicy, "retry_policy");
    if (input.leadIds.length > MAX_LEAD_IDS) throw new ValidationError(`at most ${MAX_LEAD_IDS} lead ids at once`, [{ path: "lead_ids", message: `at most ${MAX_LEAD_IDS}; append more with POST /v1/campaigns/{id}/leads` }]);
    const assistantId = await this.assistantFor(input.workspaceId, input.assistantId);
    const campaign = await this.db.campaign.create({
      data: {
        id: newId("cmp"),
        workspaceId: input.workspaceId,
        name: input.name,
        status: "draft",
        assistantId,
        schedule: schedule as Prisma.InputJsonObject,
        maxConcurrency: input.maxConcurrency || null,
        retryPolicy: retryPolicy as unknown as Prisma.InputJsonObject,
      },
    });
    await this.enqueue(campaign, input.leadIds, input.leadFilter);
    return this.view(campaign);
  }

  /** The named assistant, else the workspace's default, else its provider's default: fixed at creation. */
  private async assistantFor(workspaceId: string, requested?: string): Promise<string> {
    const chosen = await this.assistants.forCall(workspaceId, requested);
    if (chosen) return chosen.assistantId;
    const resolved = await this.providers.resolve(workspaceId);
    if (resolved.defaultAssistantId) return resolved.defaultAssistantId;
    throw new ValidationError("assistant_id is required: this workspace has no default assistant", [{ path: "assistant_id", message: "is required (or create one with POST /v1/assistants)" }]);
  }

  async get(workspaceId: string, campaignId: string): Promise<CampaignView> {
    return this.view(await this.find(workspaceId, campaignId));
  }

  private async find(workspaceId: string, campaignId: string): Promise<Campaign> {
    const campaign = await this.db.campaign.findFirst({ where: { id: campaignId, workspaceId } });
    if (!campaign) throw new NotFoundError("campaign", campaignId);
    return campaign;
  }

  async list(q: { workspaceId: string; status?: string; limit: number; cursor?: string }): Promise<{ items: CampaignView[]; nextCursor: string }> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !after) throw new ValidationError("cursor is not valid", [{ path: "cursor", message: "is not a cursor from this API" }]);
    const rows = await this.db.campaign.findMany({
      where: { workspaceId: q.workspaceId, ...(q.status ? { status: q.status } : {}), ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: "desc" },
      take: q.limit + 1,
    });
    const items = await Promise.all(rows.slice(0, q.limit).map((c) => this.view(c)));
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!.campaign.id) : "" };
  }

  /** The campaign's leads in queue order, optionally in one state. */
  async listLeads(q: { workspaceId: string; campaignId: string; state?: string; limit: number; cursor?: string }): Promise<{ items: CampaignLead[]; nextCursor: string }> {
    await this.find(q.workspaceId, q.campaignId);
    // The cursor is the last queue position seen (leads have no id order of their own here).
    const after = q.cursor ? Buffer.from(q.cursor, "base64url").toString("utf8") : undefined;
    if (after !== undefined && !/^seq:\d+$/.test(after)) throw new ValidationError("cursor is not valid", [{ path: "cursor", message: "is not a cursor from this API" }]);
    const rows = await this.db.campaignLead.findMany({
      where: { campaignId: q.campaignId, ...(q.state ? { state: q.state } : {}), ...(after ? { seq: { gt: BigInt(after.slice(4)) } } : {}) },
      orderBy: { seq: "asc" },
      take: q.limit + 1,
    });
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? Buffer.from(`seq:${items.at(-1)!.seq}`, "utf8").toString("base64url") : "" };
  }

  async append(workspaceId: string, campaignId: string, leadIds: string[], filter?: LeadFilter): Promise<EnqueueResult & CampaignView> {
    if (leadIds.length > MAX_LEAD_IDS) throw new ValidationError(`at most ${MAX_LEAD_IDS} lead ids at once`, [{ path: "lead_ids", message: `at most ${MAX_LEAD_IDS}` }]);
    if (!leadIds.length && !filter) throw new ValidationError("name the leads to add", [{ path: "lead_ids", message: "give lead_ids or lead_filter" }]);
    const campaign = await this.find(workspaceId, campaignId);
    if (!OPEN.includes(campaign.status as CampaignStatus)) throw new PreconditionError(`the campaign is ${campaign.status}: leads can no longer be added`, { campaign_status: campaign.status });
    const result = await this.enqueue(campaign, leadIds, filter);
    return { ...result, ...(await this.view(await this.find(workspaceId, campaignId))) };
  }

  /** Leads imported into the campaign: the same as an append, quietly skipping a closed campaign. */
  async appendImported(workspaceId: string, campaignId: string, leadIds: string[]): Promise<EnqueueResult | null> {
    const campaign = await this.db.campaign.findFirst({ where: { id: campaignId, workspaceId } });
    if (!campaign || !OPEN.includes(campaign.status as CampaignStatus)) return null;
    return this.enqueue(campaign, leadIds);
  }

  /**
   * Queues leads, each due at its next calling window (its own zones, else its phone's country's,
   * else the schedule's or workspace's zone). A lead already in the campaign is not queued again.
   */
  private async enqueue(campaign: Campaign, leadIds: string[], filter?: LeadFilter): Promise<EnqueueResult> {
    const workspace = await this.workspaces.get(campaign.workspaceId);
    const { hours, fallbackZone } = resolveSchedule(scheduleOf(campaign), workspace);
    const { found, notFound } = await this.lookup(campaign.workspaceId, [...new Set(leadIds)], filter);
    const now = this.now();
    // Leads share few zone sets (a country, a zone): each set's next opening is worked out once.
    const openings = new Map<string, Date | null>();
    const rows = found.map((lead) => {
      const zones = leadZones({ timezone: lead.timezone || undefined, phone: lead.phone }, fallbackZone);
      const key = zones.join(",");
      if (!openings.has(key)) openings.set(key, nextOpening(now, hours, zones));
      return { id: lead.id, zones: key, due: openings.get(key)! };
    });
    const open = rows.filter((r) => r.due);
    const never = rows.filter((r) => !r.due);
    let added = 0;
    await this.db.$transaction(async (tx) => {
      added += await tx.$executeRawUnsafe(
        `insert into campaign_leads (campaign_id, lead_id, workspace_id, zones, due_at)
         select $1, l.id, $2, string_to_array(l.zones, ','), l.due from unnest($3::text[], $4::text[], $5::timestamptz[]) as l(id, zones, due)
         on conflict do nothing`,
        campaign.id,
        campaign.workspaceId,
        open.map((r) => r.id),
        open.map((r) => r.zones),
        open.map((r) => r.due),
      );
      // Calling hours that never open in all of a lead's zones: recorded as done, not queued forever.
      added += await tx.$executeRawUnsafe(
        `insert into campaign_leads (campaign_id, lead_id, workspace_id, zones, due_at, state, final_outcome)
         select $1, l.id, $2, string_to_array(l.zones, ','), $5, 'done', 'no_calling_window' from unnest($3::text[], $4::text[]) as l(id, zones)
         on conflict do nothing`,
        campaign.id,
        campaign.workspaceId,
        never.map((r) => r.id),
        never.map((r) => r.zones),
        now,
      );
      await wakeDispatchers(tx);
    });
    return { added, alreadyQueued: found.length - added, notFound };
  }

  private async lookup(workspaceId: string, ids: string[], filter?: LeadFilter): Promise<{ found: leadsV1.Lead[]; notFound: string[] }> {
    const found: leadsV1.Lead[] = [];
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const batch = ids.slice(i, i + LOOKUP_BATCH);
      found.push(...(await this.leads.listLeads({ workspaceId, ids: batch, limit: batch.length, cursor: "" })).leads);
    }
    const known = new Set(found.map((l) => l.id));
    const notFound = ids.filter((id) => !known.has(id));
    if (filter) {
      let cursor = "";
      do {
        const page = await this.leads.listLeads({ workspaceId, status: filter.status, tag: filter.tag, query: filter.query, ids: [], limit: 200, cursor });
        found.push(...page.leads);
        cursor = page.nextCursor;
      } while (cursor);
    }
    return { found, notFound };
  }

  async change(workspaceId: string, campaignId: string, action: CampaignAction, reason?: string): Promise<CampaignView> {
    const move = MOVES[action];
    if (!move) throw new ValidationError(`unknown action ${action}`, [{ path: "action", message: "start, pause, resume or cancel" }]);
    const campaign = await this.db.$transaction(async (tx) => {
      const current = await this.lock(tx, workspaceId, campaignId);
      if (current.status === move.to) return current;
      if (!move.from.includes(current.status as CampaignStatus)) {
        throw new PreconditionError(`a ${current.status} campaign cannot ${action}`, { campaign_status: current.status, allowed_from: move.from });
      }
      if (action === "start" && (await tx.campaignLead.count({ where: { campaignId } })) === 0) {
        throw new PreconditionError("the campaign has no leads: add some before starting it", { campaign_status: current.status });
      }
      if (action === "cancel") {
        await tx.campaignLead.updateMany({ where: { campaignId, state: "queued" }, data: { state: "cancelled", finalOutcome: "cancelled", updatedAt: this.now() } });
      }
      return this.moveTo(tx, current, move.to, action === "pause" ? (reason ?? "paused by a user") : null);
    });
    return this.view(campaign);
  }

  private async lock(tx: Tx, workspaceId: string, campaignId: string): Promise<Campaign> {
    await lockCampaign(tx, campaignId);
    const campaign = await tx.campaign.findFirst({ where: { id: campaignId, workspaceId } });
    if (!campaign) throw new NotFoundError("campaign", campaignId);
    return campaign;
  }

  /** Moves a locked campaign to a status, with its event; the dispatchers are woken for running. */
  async moveTo(tx: Tx, campaign: Campaign, status: CampaignStatus, reason: string | null): Promise<Campaign> {
    const now = this.now();
    const updated = await tx.campaign.update({
      where: { id: campaign.id },
      data: {
        status,
        pausedReason: status === "paused" ? reason : null,
        updatedAt: now,
        ...(status === "running" && !campaign.startedAt ? { startedAt: now } : {}),
        ...(status === "completed" || status === "cancelled" ? { finishedAt: now } : {}),
      },
    });
    await emitEvent(tx, {
      domain: "voice",
      event: "campaign_status_changed",
      workspaceId: campaign.workspaceId,
      encode: (eventId, occurredAt) =>
        events.CampaignStatusChanged.encode({ eventId, occurredAt, workspaceId: campaign.workspaceId, campaignId: campaign.id, status, previousStatus: campaign.status, reason: reason ?? "" }).finish(),
    });
    if (status === "running") await wakeDispatchers(tx);
    return updated;
  }

  /** A running campaign with nothing left to dial or hear back from is completed. */
  async completeIfDone(tx: Tx, campaign: Campaign): Promise<boolean> {
    if (campaign.status !== "running") return false;
    const open = await tx.campaignLead.count({ where: { campaignId: campaign.id, state: { in: ["queued", "calling"] } } });
    if (open > 0) return false;
    await this.moveTo(tx, campaign, "completed", null);
    return true;
  }

  /** Running campaigns left with no open lead (all skipped at enqueue, say), completed by the safety tick. */
  async completeFinished(): Promise<number> {
    const done = await this.db.$queryRawUnsafe<{ id: string; workspace_id: string }[]>(
      `select id, workspace_id from campaigns c where status = 'running'
       and not exists (select 1 from campaign_leads q where q.campaign_id = c.id and q.state in ('queued', 'calling'))`,
    );
    let completed = 0;
    for (const { id, workspace_id } of done) {
      const moved = await this.db.$transaction(async (tx) => this.completeIfDone(tx, await this.lock(tx, workspace_id, id)));
      if (moved) completed++;
    }
    return completed;
  }

  async view(campaign: Campaign): Promise<CampaignView> {
    const rows = await this.db.$queryRawUnsafe<{ state: string; final_outcome: string | null; call_status: string | null; n: bigint }[]>(
      `select q.state, q.final_outcome, c.status as call_status, count(*) as n
       from campaign_leads q left join calls c on c.id = q.call_id and q.state = 'calling'
       where q.campaign_id = $1 group by 1, 2, 3`,
      campaign.id,
    );
    const [calls] = await this.db.$queryRawUnsafe<{ n: bigint }[]>("select count(*) as n from calls where campaign_id = $1", campaign.id);
    const progress: Progress = { total: 0, queued: 0, dialing: 0, inProgress: 0, completed: 0, failed: 0, cancelled: 0, byOutcome: {}, calls: Number(calls?.n ?? 0) };
    for (const row of rows) {
      const n = Number(row.n);
      progress.total += n;
      if (row.state === "queued") progress.queued += n;
      else if (row.state === "calling") {
        if (row.call_status === "in_progress") progress.inProgress += n;
        else progress.dialing += n;
      } else if (row.state === "cancelled") progress.cancelled += n;
      else if (row.final_outcome === "failed") progress.failed += n;
      else progress.completed += n;
      if (row.final_outcome) progress.byOutcome[row.final_outcome] = (progress.byOutcome[row.final_outcome] ?? 0) + n;
    }
    return { campaign, progress };
  }
}
