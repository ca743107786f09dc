// The dialer. Every voice replica runs one; none is special. A pass claims queued leads of running
// campaigns, each with its slots (provider account, workspace, campaign) taken in the same
// transaction, and dials them, until a cap is reached or nothing is due. A freed slot NOTIFYs every
// replica (see leases.ts), so the next lead is dialed at once; a safety tick covers lost
// notifications and work that comes due with time (retries, calling windows opening).
//
// Fairness: the next claim goes to the workspace with the fewest live calls (then the one served
// least recently), and within it to the campaign with the fewest, so a tenant with a short list is
// never starved by one with a long list.
import type pg from "pg";
import { WakeupLoop } from "@parley/bus";
import { CapacityError, DependencyUnavailableError, isDomainError, UpstreamError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import { counter, histogram } from "@parley/metrics";
import type { Campaign, PrismaClient } from "../generated/prisma/client.ts";
import type { AssistantsDomain, CallAssistant } from "../assistants/assistants";
import { isWithinAll, nextOpening } from "../domain/calling-hours";
import { OptedOutError, type CallsDomain, type ProviderResolver, type ResolvedProvider } from "../domain/calls";
import type { CampaignAttempts, ClaimRef } from "./attempts";
import { scheduleOf } from "./campaigns";
import { accountPool, campaignPool, countReclaimed, DISPATCH_CHANNEL, leaseArgs, poolKind, releaseLeases, workspacePool, type PoolCap } from "./leases";
import { resolveSchedule } from "./schedule";
import type { DialingWorkspace, WorkspaceDirectory } from "./workspaces";

export interface DispatcherConfig {
  /** Live calls per provider account. */
  globalCap: number;
  leaseTtlMs: number;
  /** The safety tick. */
  tickMs: number;
  /** Dials this replica has in flight at once. */
  dialConcurrency: number;
  /** How long a provider account is left alone after it answered 429. */
  capacityBackoffMs: number;
  /** How long a lead waits when leads could not say whether it may be called. */
  consentRetryMs: number;
}

export interface DispatcherDeps {
  db: PrismaClient;
  pool: pg.Pool;
  calls: CallsDomain;
  attempts: CampaignAttempts;
  assistants: AssistantsDomain;
  providers: ProviderResolver;
  workspaces: WorkspaceDirectory;
  now: () => Date;
  logger: Logger;
}

interface Candidate {
  campaign: Campaign;
  workspaceLive: number;
  campaignLive: number;
  /** The provider account's pool, once known. */
  account?: string;
}

/** Fewest live calls in the workspace first, then the workspace served least recently, then the campaign with the fewest. */
const fairly = (lastServed: Map<string, number>) => (a: Candidate, b: Candidate) =>
  a.workspaceLive - b.workspaceLive ||
  (lastServed.get(a.campaign.workspaceId) ?? 0) - (lastServed.get(b.campaign.workspaceId) ?? 0) ||
  a.campaignLive - b.campaignLive ||
  a.campaign.id.localeCompare(b.campaign.id);

interface Claim extends ClaimRef {
  token: bigint;
  leases: number;
  attempt: number;
  zones: string[];
  campaign: Campaign;
  workspace: DialingWorkspace;
  resolved: ResolvedProvider;
  assistant: CallAssistant;
}

type ClaimResult = { kind: "claimed"; claim: Claim } | { kind: "empty" } | { kind: "full"; pool: string } | { kind: "unavailable" };

/** What voice_claim_campaign_lead answers (see the migrations). */
interface ClaimRow {
  lead_id: string | null;
  attempts: number | null;
  zones: string[] | null;
  due_at: Date | null;
  token: string | null;
  full_pool: string | null;
  freed_at: Date | null;
  reclaimed: number;
}

const CANDIDATES_MAX_AGE_MS = 1000;

const dials = counter("parley_voice_dials_total", "Campaign dials by result", ["result"]);
const slotWait = histogram("parley_voice_slot_wait_seconds", "From a lead coming due to its dial being claimed", [], [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800]);
const refill = histogram("parley_voice_slot_refill_seconds", "From a slot being freed to the next waiting lead taking it", [], [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

export class Dispatcher {
  private readonly loop: WakeupLoop;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly lastServed = new Map<string, number>();
  private readonly backoffUntil = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly config: DispatcherConfig,
  ) {
    this.loop = new WakeupLoop(deps.pool, { name: "dispatch", channel: DISPATCH_CHANNEL, retryMs: config.tickMs }, () => this.round(), deps.logger);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming; dials already under way finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pass over the due leads; then sleep until the next comes due. */
  private async round(): Promise<number> {
    await this.pass();
    return this.untilNextDue();
  }

  private async pass(): Promise<void> {
    let candidates: Candidate[] = [];
    let listedAt = 0;
    while (!this.stopping) {
      while (this.inFlight.size >= this.config.dialConcurrency) await Promise.race(this.inFlight);
      // Read again when exhausted, and at least every second of a long pass: calls end meanwhile.
      if (!candidates.length || Date.now() - listedAt > CANDIDATES_MAX_AGE_MS) {
        candidates = await this.candidates();
        listedAt = Date.now();
      }
      const next = candidates[0];
      if (!next) return;
      const result = await this.claim(next);
      if (result.kind === "claimed") {
        this.launch(result.claim);
        // Counted here rather than read again: the order stays fair without a query per claim.
        next.workspaceLive++;
        next.campaignLive++;
        for (const c of candidates) if (c.campaign.workspaceId === next.campaign.workspaceId && c !== next) c.workspaceLive++;
        candidates.sort(fairly(this.lastServed));
        continue;
      }
      // Nothing more for this campaign now; a full account or workspace rules out its other campaigns too.
      const full = result.kind === "full" ? result.pool : undefined;
      candidates = candidates.filter((c) => c !== next && !(full === workspacePool(c.campaign.workspaceId)) && !(full && poolKind(full) === "account" && c.account === full));
      if (!candidates.length) return;
    }
  }

  /** Running campaigns with a lead due now, the least served workspace and campaign first. */
  private async candidates(): Promise<Candidate[]> {
    const now = this.deps.now();
    const rows = await this.deps.db.$queryRawUnsafe<(Record<string, unknown> & { id: string; workspace_live: bigint; campaign_live: bigint })[]>(
      `select c.id,
         (select count(*) from call_leases l where l.pool = 'workspace:' || c.workspace_id and l.call_id is not null and l.expires_at > $1) as workspace_live,
         (select count(*) from calls k where k.campaign_id = c.id and k.ended_at is null) as campaign_live
       from campaigns c
       where c.status = 'running' and exists (select 1 from campaign_leads q where q.campaign_id = c.id and q.state = 'queued' and q.due_at <= $1)`,
      now,
    );
    if (!rows.length) return [];
    const campaigns = new Map((await this.deps.db.campaign.findMany({ where: { id: { in: rows.map((r) => r.id) } } })).map((c) => [c.id, c]));
    return rows
      .filter((r) => campaigns.has(r.id))
      .map((r) => ({ campaign: campaigns.get(r.id)!, workspaceLive: Number(r.workspace_live), campaignLive: Number(r.campaign_live) }))
      .sort(fairly(this.lastServed));
  }

  /** One due lead of the campaign and its slots, in one transaction (one round trip), or why not. */
  private async claim(candidate: Candidate): Promise<ClaimResult> {
    const { campaign } = candidate;
    let workspace: DialingWorkspace, resolved: ResolvedProvider, assistant: CallAssistant | undefined;
    try {
      workspace = await this.deps.workspaces.get(campaign.workspaceId);
      assistant = await this.deps.assistants.forCall(campaign.workspaceId, campaign.assistantId);
      resolved = await this.deps.providers.resolve(campaign.workspaceId, assistant?.provider);
    } catch (err) {
      this.deps.logger.warn({ err, campaign_id: campaign.id }, "cannot prepare the campaign's dials");
      return { kind: "unavailable" };
    }
    const account = accountPool(resolved.account);
    candidate.account = account;
    if ((this.backoffUntil.get(account) ?? 0) > Date.now()) return { kind: "full", pool: account };
    const pools: PoolCap[] = [
      { pool: account, cap: this.config.globalCap },
      { pool: workspacePool(campaign.workspaceId), cap: workspace.settings.max_concurrency },
      ...(campaign.maxConcurrency ? [{ pool: campaignPool(campaign.id), cap: campaign.maxConcurrency }] : []),
    ];
    const callId = newId("call");
    const now = this.deps.now();
    const [names, caps] = leaseArgs(pools);
    const { rows } = await this.deps.pool.query<ClaimRow>("select * from voice_claim_campaign_lead($1, $2, $3::text[], $4::int[], $5, $6)", [
      campaign.id,
      callId,
      names,
      caps,
      now,
      this.config.leaseTtlMs,
    ]);
    const row = rows[0];
    if (!row) return { kind: "empty" };
    if (row.full_pool) return { kind: "full", pool: row.full_pool };
    countReclaimed(pools, row.reclaimed);
    const dueAt = row.due_at!;
    slotWait.observe(Math.max(0, now.getTime() - dueAt.getTime()) / 1000);
    // Refill: the slot came free while this lead was already waiting for one.
    if (row.freed_at && dueAt <= row.freed_at) refill.observe(Math.max(0, Date.now() - row.freed_at.getTime()) / 1000);
    this.lastServed.set(campaign.workspaceId, Date.now());
    return {
      kind: "claimed",
      claim: {
        campaignId: campaign.id,
        leadId: row.lead_id!,
        callId,
        token: BigInt(row.token!),
        leases: pools.length,
        attempt: row.attempts! + 1,
        zones: row.zones!,
        campaign,
        workspace,
        resolved,
        assistant: assistant ?? { assistantId: campaign.assistantId, providerAssistantId: campaign.assistantId },
      },
    };
  }

  private launch(claim: Claim): void {
    const job: Promise<void> = this.dial(claim)
      .catch((err: unknown) => this.deps.logger.error({ err, campaign_id: claim.campaignId, lead_id: claim.leadId }, "campaign dial crashed"))
      .finally(() => {
        this.inFlight.delete(job);
        this.loop.poke();
      });
    this.inFlight.add(job);
  }

  /** Consent and calling hours, right before the dial; then the dial. */
  private async dial(claim: Claim): Promise<void> {
    const { calls, attempts, db, logger } = this.deps;
    const giveBack = (dueAt: Date) =>
      db.$transaction(async (tx) => {
        await releaseLeases(tx, claim.callId, claim.token, this.deps.now());
        await attempts.requeueClaim(tx, claim, dueAt);
      });
    const finishUndialed = (outcome: string) =>
      db.$transaction(async (tx) => {
        await releaseLeases(tx, claim.callId, claim.token, this.deps.now());
        await attempts.finishUnplaced(tx, claim, outcome);
      });
    let lead;
    try {
      lead = await calls.consentedLead(claim.workspace.id, claim.leadId);
    } catch (err) {
      if (err instanceof OptedOutError) return this.count("opted_out", finishUndialed("opted_out"));
      if (isDomainError(err) && err.kind === "not_found") return this.count("lead_deleted", finishUndialed("lead_deleted"));
      logger.warn({ err, lead_id: claim.leadId }, "consent unknown (leads unreachable): not dialing now");
      return this.count("consent_unknown", giveBack(new Date(this.deps.now().getTime() + this.config.consentRetryMs)));
    }
    const { hours } = resolveSchedule(scheduleOf(claim.campaign), claim.workspace);
    const now = this.deps.now();
    if (!isWithinAll(now, hours, claim.zones)) {
      const opening = nextOpening(now, hours, claim.zones);
      return this.count("outside_hours", opening ? giveBack(opening) : finishUndialed("no_calling_window"));
    }
    try {
      const call = await calls.placeClaimed({ id: claim.callId, workspaceId: claim.workspace.id, campaignId: claim.campaignId, attempt: claim.attempt, token: claim.token, leases: claim.leases, lead, workspace: claim.workspace, resolved: claim.resolved, assistant: claim.assistant });
      if (!call) return this.count("slots_lost", giveBack(this.deps.now()));
      dials.inc({ result: "dialed" });
    } catch (err) {
      if (err instanceof CapacityError) {
        this.backoffUntil.set(accountPool(claim.resolved.account), Date.now() + this.config.capacityBackoffMs);
        return void dials.inc({ result: "provider_at_capacity" });
      }
      if (err instanceof UpstreamError) return void dials.inc({ result: "provider_refused" });
      if (err instanceof DependencyUnavailableError) return void dials.inc({ result: "in_doubt" });
      throw err;
    }
  }

  private async count(result: string, done: Promise<unknown>): Promise<void> {
    await done;
    dials.inc({ result });
  }

  /** How long to sleep: until the earliest queued lead of a running campaign comes due, at most a tick. */
  private async untilNextDue(): Promise<number> {
    const [row] = await this.deps.db.$queryRawUnsafe<{ due: Date | null }[]>(
      `select min(q.due_at) as due from campaign_leads q join campaigns c on c.id = q.campaign_id
       where c.status = 'running' and q.state = 'queued'`,
    );
    const wait = row?.due ? row.due.getTime() - this.deps.now().getTime() : 0;
    // Work already due waits for a slot, and a freed slot wakes this loop: only the tick then.
    return wait > 0 ? Math.min(this.config.tickMs, wait) : this.config.tickMs;
  }
}
