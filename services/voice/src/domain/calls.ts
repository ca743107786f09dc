import { emitEvent } from "@parley/bus";
import { readOptOut } from "@parley/consent-projection";
import { CapacityError, ConflictError, NotFoundError, PreconditionError, ValidationError } from "@parley/errors";
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
import { acquireSlot, releaseSlot } from "./slots";

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

export type UpdateSource = "api" | "webhook" | "poll";

interface WorkspaceSettings {
  calling_hours: { start: string; end: string };
  days: string[];
  max_concurrency: number;
}

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
  ) {
    this.now = config.now ?? (() => new Date());
  }

  async place(input: PlaceCallInput): Promise<Call> {
    const { workspaceId, leadId } = input;
    const [{ lead }, consent, projection, { workspace }] = await Promise.all([
      this.leads.getLead({ workspaceId, leadId, timelineLimit: 0 }),
      // Asked of leads every time: if it cannot answer, the call is not placed (fail closed).
      this.leads.checkConsent({ workspaceId, leadId, channel: leadsV1.Channel.CHANNEL_VOICE }),
      readOptOut(this.db, workspaceId, leadId),
      this.leads.getWorkspace({ workspaceId }),
    ]);
    if (!consent.allowed || projection.optedOut) {
      throw new PreconditionError("the lead has opted out of voice calls", { reason: consent.reason || projection.reason });
    }
    const settings = workspace!.settings as unknown as WorkspaceSettings;
    const timezone = lead!.timezone || workspace!.timezone;
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
      await tx.call.create({
        data: {
          id,
          workspaceId,
          leadId,
          assistantId: assistant.assistantId,
          providerAssistantId: assistant.providerAssistantId,
          assistantVersion: assistant.version ?? null,
          provider: resolved.kind,
          status: "queued",
          toNumber: lead!.phone,
          triggerId: input.triggerId ?? null,
        },
      });
      const slot = await acquireSlot(tx, resolved.account, id, workspaceId, { global: this.config.globalCap, workspace: settings.max_concurrency });
      // Thrown inside the transaction: no call row, no slot.
      if (!slot.acquired) throw new CapacityError(`all ${slot.live} call slots are in use; try again when a call ends`, { live_calls: slot.live });
      await this.event(tx, id, "queued", "queued", "api", { provider: resolved.kind });
    });

    let providerCallId: string;
    try {
      ({ providerCallId } = await resolved.provider.dial({
        to: lead!.phone,
        assistantId: assistant.providerAssistantId,
        variables: { ...profileVariables(workspace!), name: lead!.name, business_name: lead!.businessName, ...input.variables },
        metadata: { parley_call_id: id, parley_workspace_id: workspaceId, parley_lead_id: leadId },
        webhook: webhookEndpoint(this.config.publicUrl, resolved.kind, workspaceId, resolved.webhookSecret),
      }));
    } catch (err) {
      await this.db.$transaction(async (tx) => {
        await tx.call.update({ where: { id }, data: { status: "ended", endedReason: "failed", error: (err as Error).message.slice(0, 1000), endedAt: this.now(), lastEventAt: this.now(), updatedAt: this.now() } });
        await releaseSlot(tx, id);
        await this.event(tx, id, "dial_failed", "ended", "api", { error: (err as Error).message.slice(0, 1000) });
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
        encode: (eventId, occurredAt) => events.CallStarted.encode({ eventId, occurredAt, workspaceId, callId: id, leadId, provider: resolved.kind, providerCallId, campaignId: "", direction: "outbound" }).finish(),
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
      await releaseSlot(tx, callId);
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
