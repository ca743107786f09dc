import { emitEvent } from "@parley/bus";
import { readOptOut } from "@parley/consent-projection";
import { CapacityError, ConflictError, DependencyUnavailableError, NotFoundError, PreconditionError, ValidationError } from "@parley/errors";
import type { GrpcClient } from "@parley/grpc";
import { decodeCursor, encodeCursor, newId } from "@parley/ids";
import { events, leadsV1 } from "@parley/proto";
import type { Call, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { ProviderCall, VoiceProvider, VoiceProviderKind } from "../providers/port";
import { webhookEndpoint } from "../providers/webhook-endpoint";
import type { AssistantsDomain, CallAssistant } from "../assistants/assistants";
import { profileVariables } from "./profile-variables";
import { changed, merge, type CallFacts } from "./call-state";
import { isWithinWindow } from "./calling-hours";
import { accountPool, holdsLeases, nextToken, poolKind, refused, releaseLeases, takeLeases, workspacePool } from "../dialer/leases";
import type { CampaignAttempts } from "../dialer/attempts";
import type { DialingWorkspace } from "../dialer/workspaces";

type Tx = Prisma.TransactionClient;
export type LeadsClient = GrpcClient<typeof leadsV1.LeadsServiceService>["call"];

export interface ResolvedProvider {
  kind: VoiceProviderKind;
  provider: VoiceProvider;
  /** The provider account: the pool whose global cap the call counts against. */
  account: string;
  defaultAssistantId?: string;
  /** Sent with the dial where the provider takes a per-call webhook (Vapi's server secret). */
  webhookSecret?: string;
}

export interface ProviderResolver {
  resolve(workspaceId: string, requested?: string): Promise<ResolvedProvider>;
  /** The adapter for an existing call's provider, to read it back. */
  forCall(workspaceId: string, kind: string): Promise<VoiceProvider>;
}

export interface CallsConfig {
  globalCap: number;
  /** How long a slot is held without renewal (see dialer/lease-keeper.ts). */
  leaseTtlMs: number;
  /** How long a campaign's lead waits after the provider answered a dial with 429. */
  capacityBackoffMs: number;
  /** The gateway's public base URL, where providers send webhooks. */
  publicUrl: string;
  now?: () => Date;
}

export interface PlaceCallInput {
  workspaceId: string;
  leadId: string;
  assistantId?: string;
  provider?: string;
  variables: Record<string, string>;
  /** Set by automatic triggers: a second placement for the same trigger is refused as a conflict. */
  triggerId?: string;
}

/** The lead has opted out: a precondition, told apart so a campaign can record it as the lead's outcome. */
export class OptedOutError extends PreconditionError {}

/** A campaign's claim on a lead, with its slots: see Dispatcher. */
export interface ClaimedCall {
  id: string;
  workspaceId: string;
  campaignId: string;
  attempt: number;
  token: bigint;
  /** How many slots the claim holds (one per pool). */
  leases: number;
  lead: leadsV1.Lead;
  workspace: leadsV1.Workspace;
  resolved: ResolvedProvider;
  assistant: CallAssistant;
}

interface DialPlan {
  id: string;
  workspaceId: string;
  leadId: string;
  lead: leadsV1.Lead;
  workspace: leadsV1.Workspace;
  resolved: ResolvedProvider;
  assistant: CallAssistant;
  variables: Record<string, string>;
}

export type UpdateSource = "api" | "webhook" | "poll";

const facts = (c: Call): CallFacts => ({
  status: c.status as CallFacts["status"],
  endedReason: c.endedReason as CallFacts["endedReason"],
  providerReason: c.providerReason,
  answeredAt: c.answeredAt,
  endedAt: c.endedAt,
  durationSeconds: c.durationSeconds,
  transcript: c.transcript,
  recordingUrl: c.recordingUrl,
  cost: c.cost,
});

/** The call lifecycle: placing a call, and applying every later word about it exactly once. */
export class CallsDomain {
  private readonly now: () => Date;

  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly providers: ProviderResolver,
    private readonly assistants: AssistantsDomain,
    private readonly config: CallsConfig,
    private readonly attempts?: CampaignAttempts,
  ) {
    this.now = config.now ?? (() => new Date());
  }

  /**
   * The lead, if it may be called now as far as consent goes: leads is asked every time, and if it
   * cannot answer the call is not placed (fail closed); this service's projection of the ledger is
   * read too, so an opt-out that leads has not yet answered with still counts.
   */
  async consentedLead(workspaceId: string, leadId: string): Promise<leadsV1.Lead> {
    const [{ lead }, consent, projection] = await Promise.all([
      this.leads.getLead({ workspaceId, leadId, timelineLimit: 0 }),
      this.leads.checkConsent({ workspaceId, leadId, channel: leadsV1.Channel.CHANNEL_VOICE }),
      readOptOut(this.db, workspaceId, leadId),
    ]);
    if (!consent.allowed || projection.optedOut) {
      throw new OptedOutError("the lead has opted out of voice calls", { reason: consent.reason || projection.reason });
    }
    return lead!;
  }

  async place(input: PlaceCallInput): Promise<Call> {
    const { workspaceId, leadId } = input;
    const [lead, { workspace }] = await Promise.all([this.consentedLead(workspaceId, leadId), this.leads.getWorkspace({ workspaceId })]);
    const { settings } = workspace as DialingWorkspace;
    const timezone = lead.timezone || workspace!.timezone;
    const window = { timezone, start: settings.calling_hours.start, end: settings.calling_hours.end, days: settings.days };
    if (!isWithinWindow(this.now(), window)) {
      throw new PreconditionError(`outside calling hours: ${window.start}–${window.end} ${timezone} on ${window.days.join(", ")}`, { calling_hours: window });
    }
    const chosen = await this.assistants.forCall(workspaceId, input.assistantId, input.provider);
    if (chosen?.provider && input.provider && input.provider !== chosen.provider) {
      throw new ValidationError(`assistant ${chosen.assistantId} is a ${chosen.provider} assistant`, [{ path: "provider", message: `must be ${chosen.provider} (or omitted) for this assistant` }]);
    }
    const resolved = await this.providers.resolve(workspaceId, chosen?.provider ?? input.provider);
    const assistant = chosen ?? (resolved.defaultAssistantId ? { assistantId: resolved.defaultAssistantId, providerAssistantId: resolved.defaultAssistantId } : undefined);
    if (!assistant) throw new ValidationError("assistant_id is required: this workspace has no default assistant", [{ path: "assistant_id", message: "is required (or create one with POST /v1/assistants)" }]);

    const id = newId("call");
    await this.db.$transaction(async (tx) => {
      if (input.triggerId && (await tx.call.findUnique({ where: { triggerId: input.triggerId } }))) {
        throw new ConflictError("this trigger already placed its call", { trigger_id: input.triggerId });
      }
      const token = await nextToken(tx);
      await this.insertCall(tx, { id, workspaceId, leadId, to: lead.phone, resolved, assistant, token, triggerId: input.triggerId });
      const pools = [
        { pool: accountPool(resolved.account), cap: this.config.globalCap },
        { pool: workspacePool(workspaceId), cap: settings.max_concurrency },
      ];
      const taken = await takeLeases(tx, id, token, pools, this.now(), this.config.leaseTtlMs);
      // Thrown inside the transaction: no call row, no slot.
      if (refused(taken)) throw new CapacityError(`every call slot of the ${poolKind(taken.full)} is in use; try again when a call ends`, { pool: poolKind(taken.full) });
    });
    return this.dial({ id, workspaceId, leadId, lead, workspace: workspace!, resolved, assistant, variables: input.variables });
  }

  /**
   * A campaign's call, its slots already taken by the dispatcher under `token`. The slots are
   * checked to be still held (fencing: a lease that ran out may have gone to another call) in the
   * transaction that records the call; null when they are not, and nothing was dialed.
   */
  async placeClaimed(claim: ClaimedCall): Promise<Call | null> {
    const { id, workspaceId, lead } = claim;
    const held = await this.db.$transaction(async (tx) => {
      if (!(await holdsLeases(tx, id, claim.token, claim.leases, this.now()))) return false;
      // A claim that took long to get here (a slow consent check) may have been handed back to the
      // queue by the lease keeper and taken by another replica: only the claim's holder dials.
      // Touching it also keeps the keeper from handing it back while this call is recorded.
      const still = await tx.$executeRawUnsafe(`update campaign_leads set claimed_at = $2 where call_id = $1 and state = 'calling'`, id, this.now());
      if (still === 0) return false;
      await this.insertCall(tx, { id, workspaceId, leadId: lead.id, to: lead.phone, resolved: claim.resolved, assistant: claim.assistant, token: claim.token, campaignId: claim.campaignId, attempt: claim.attempt });
      return true;
    });
    if (!held) return null;
    return this.dial({ id, workspaceId, leadId: lead.id, lead, workspace: claim.workspace, resolved: claim.resolved, assistant: claim.assistant, variables: {} });
  }

  private async insertCall(tx: Tx, c: { id: string; workspaceId: string; leadId: string; to: string; resolved: ResolvedProvider; assistant: CallAssistant; token: bigint; triggerId?: string; campaignId?: string; attempt?: number }): Promise<void> {
    await tx.call.create({
      data: {
        id: c.id,
        workspaceId: c.workspaceId,
        leadId: c.leadId,
        campaignId: c.campaignId ?? null,
        attempt: c.attempt ?? null,
        assistantId: c.assistant.assistantId,
        providerAssistantId: c.assistant.providerAssistantId,
        assistantVersion: c.assistant.version ?? null,
        provider: c.resolved.kind,
        status: "queued",
        toNumber: c.to,
        triggerId: c.triggerId ?? null,
        leaseToken: c.token,
      },
    });
    await this.event(tx, c.id, "queued", "queued", "api", { provider: c.resolved.kind });
  }

  /**
   * Dials a recorded call that holds its slots. A refusal ends the call and frees its slots (a
   * 429 is the provider's capacity, not the lead's failure: a campaign requeues the lead). No
   * answer at all leaves the dial in doubt: the call keeps its slots until the provider's webhook
   * names it or the reconciler gives up on it.
   */
  private async dial(plan: DialPlan): Promise<Call> {
    const { id, workspaceId, leadId, lead, workspace, resolved, assistant } = plan;
    let providerCallId: string;
    try {
      ({ providerCallId } = await resolved.provider.dial({
        to: lead.phone,
        assistantId: assistant.providerAssistantId,
        variables: { ...profileVariables(workspace), name: lead.name, business_name: lead.businessName, ...plan.variables },
        metadata: { parley_call_id: id, parley_workspace_id: workspaceId, parley_lead_id: leadId },
        webhook: webhookEndpoint(this.config.publicUrl, resolved.kind, workspaceId, resolved.webhookSecret),
      }));
    } catch (err) {
      const message = (err as Error).message.slice(0, 1000);
      if (err instanceof DependencyUnavailableError) {
        await this.db.$transaction((tx) => this.event(tx, id, "dial_in_doubt", "queued", "api", { error: message }));
        throw err;
      }
      const atCapacity = err instanceof CapacityError;
      await this.db.$transaction(async (tx) => {
        const now = this.now();
        const call = await tx.call.update({
          where: { id },
          data: { status: "ended", endedReason: atCapacity ? "canceled" : "failed", providerReason: atCapacity ? "provider_at_capacity" : null, error: message, endedAt: now, lastEventAt: now, updatedAt: now },
        });
        await releaseLeases(tx, id, call.leaseToken, now);
        await this.event(tx, id, "dial_failed", "ended", "api", { error: message });
        if (atCapacity) await this.attempts?.requeue(tx, call, this.config.capacityBackoffMs);
        else await this.attempts?.finish(tx, call);
      });
      throw err;
    }
    return this.db.$transaction(async (tx) => {
      const call = await tx.call.update({ where: { id }, data: { providerCallId, lastEventAt: this.now(), updatedAt: this.now() } });
      await this.event(tx, id, "dialed", "queued", "api", { provider_call_id: providerCallId });
      await emitEvent(tx, {
        domain: "voice",
        event: "call_started",
        workspaceId,
        encode: (eventId, occurredAt) =>
          events.CallStarted.encode({ eventId, occurredAt, workspaceId, callId: id, leadId, provider: resolved.kind, providerCallId, campaignId: call.campaignId ?? "", direction: "outbound" }).finish(),
      });
      return call;
    });
  }

  /**
   * Applies a provider's word about a call (webhook or poll) under the row's lock: forward-only,
   * every word recorded, the slot released and `voice.call_ended` written exactly once, when the
   * call first reaches `ended`.
   */
  async apply(callId: string, update: ProviderCall, source: UpdateSource): Promise<Call> {
    return this.db.$transaction((tx) => this.applyIn(tx, callId, update, source));
  }

  /**
   * A lead calling a tenant's number, recorded when the provider asks who answers, so its webhooks
   * find a call to apply to. Once per provider call. Inbound calls take no slot: the cap paces
   * Parley's own dialing, and a caller is never turned away for it.
   */
  async recordInbound(input: { id?: string; workspaceId: string; leadId: string; provider: VoiceProviderKind; providerCallId: string; calledNumber: string; assistant: CallAssistant }): Promise<Call> {
    const { workspaceId, leadId, provider, providerCallId, assistant } = input;
    return this.db.$transaction(async (tx) => {
      const existing = await tx.call.findFirst({ where: { provider, providerCallId } });
      if (existing) return existing;
      const id = input.id ?? newId("call");
      const now = this.now();
      const call = await tx.call.create({
        data: {
          id,
          workspaceId,
          leadId,
          direction: "inbound",
          assistantId: assistant.assistantId,
          providerAssistantId: assistant.providerAssistantId,
          assistantVersion: assistant.version ?? null,
          provider,
          providerCallId,
          status: "ringing",
          toNumber: input.calledNumber,
          lastEventAt: now,
        },
      });
      await this.event(tx, id, "inbound", "ringing", "webhook", { provider_call_id: providerCallId });
      await emitEvent(tx, {
        domain: "voice",
        event: "call_started",
        workspaceId,
        encode: (eventId, occurredAt) => events.CallStarted.encode({ eventId, occurredAt, workspaceId, callId: id, leadId, provider, providerCallId, campaignId: "", direction: "inbound" }).finish(),
      });
      return call;
    });
  }

  /** The call a webhook speaks of: by our own id when echoed back, else by the provider's id. */
  async findForWebhook(tx: Tx, workspaceId: string, provider: string, ids: { callId?: string; providerCallId?: string }): Promise<Call | null> {
    if (ids.callId) {
      const call = await tx.call.findFirst({ where: { id: ids.callId, workspaceId } });
      if (call) return call;
    }
    if (ids.providerCallId) return tx.call.findFirst({ where: { provider, providerCallId: ids.providerCallId, workspaceId } });
    return null;
  }

  /** apply() inside the caller's transaction (the webhook consumer's, with its inbox row). */
  async applyIn(tx: Tx, callId: string, update: ProviderCall, source: UpdateSource): Promise<Call> {
    await tx.$executeRawUnsafe("select 1 from calls where id = $1 for update", callId);
    const before = await tx.call.findUnique({ where: { id: callId } });
    if (!before) throw new NotFoundError("call", callId);
    const merged = merge(facts(before), update);
    await this.event(tx, callId, update.status, merged.status, source, { provider_reason: update.providerReason ?? null });
    // A webhook can overtake the dial's answer: the provider's id is learnt from whichever comes first.
    const learnsId = !before.providerCallId && !!update.providerCallId;
    // The first analysis the provider sends is kept (Retell's call_analyzed may come twice).
    const learnsAnalysis = !before.providerAnalysis && !!update.providerAnalysis;
    if (!changed(facts(before), merged) && !learnsId && !learnsAnalysis) return before;
    const endedNow = before.status !== "ended" && merged.status === "ended";
    const now = this.now();
    const after = await tx.call.update({
      where: { id: callId },
      data: {
        ...merged,
        ...(learnsId ? { providerCallId: update.providerCallId } : {}),
        ...(learnsAnalysis ? { providerAnalysis: update.providerAnalysis as Prisma.InputJsonObject } : {}),
        endedAt: merged.endedAt ?? (merged.status === "ended" ? now : null),
        lastEventAt: now,
        updatedAt: now,
      },
    });
    if (endedNow) {
      await releaseLeases(tx, callId, after.leaseToken, now);
      await this.attempts?.finish(tx, after);
      await emitEvent(tx, {
        domain: "voice",
        event: "call_ended",
        workspaceId: after.workspaceId,
        encode: (eventId, occurredAt) =>
          events.CallEnded.encode({
            eventId,
            occurredAt,
            workspaceId: after.workspaceId,
            callId,
            leadId: after.leadId,
            provider: after.provider,
            endedReason: after.endedReason ?? "failed",
            durationSeconds: after.durationSeconds ?? 0,
            cost: after.cost ?? 0,
            hasTranscript: !!after.transcript,
            campaignId: after.campaignId ?? "",
            endedAt: after.endedAt ?? now,
          }).finish(),
      });
    }
    return after;
  }

  private async event(tx: Tx, callId: string, type: string, status: string, source: UpdateSource, data: Record<string, unknown>): Promise<void> {
    await tx.callEvent.create({ data: { callId, type, status, source, data: data as Prisma.InputJsonObject, occurredAt: this.now() } });
  }

  async get(workspaceId: string, callId: string) {
    const call = await this.db.call.findFirst({ where: { id: callId, workspaceId }, include: { events: { orderBy: { id: "asc" } } } });
    if (!call) throw new NotFoundError("call", callId);
    return call;
  }

  async list(q: { workspaceId: string; leadId?: string; campaignId?: string; status?: string; limit: number; cursor?: string }): Promise<{ items: Call[]; nextCursor: string }> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !after) throw new ValidationError("cursor is not valid", [{ path: "cursor", message: "is not a cursor from this API" }]);
    const rows = await this.db.call.findMany({
      where: { workspaceId: q.workspaceId, ...(q.leadId ? { leadId: q.leadId } : {}), ...(q.campaignId ? { campaignId: q.campaignId } : {}), ...(q.status ? { status: q.status } : {}), ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: "desc" },
      take: q.limit + 1,
    });
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor(items.at(-1)!.id) : "" };
  }
}
