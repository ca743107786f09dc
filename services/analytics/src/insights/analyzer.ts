// What happens to one claimed insight: skipped (no conversation to analyse), succeeded, failed
// after the repair attempt, or put back with back-off when the LLM is unavailable.
import { emitEvent } from "@parley/bus";
import { DomainError } from "@parley/errors";
import type { GrpcClient } from "@parley/grpc";
import type { Logger } from "@parley/logger";
import { counter, histogram } from "@parley/metrics";
import { events, type leadsV1, type voiceV1 } from "@parley/proto";
import type { CallInsight, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { addStats } from "./call-stats";
import type { Extraction, Extractors } from "./extractor";
import { insightSchema, type Insight, type QualificationCriterion } from "./insight-schema";
import { llmCost, type PriceTable } from "./pricing";
import { insightPrompt, PROMPT_VERSION } from "./prompt";

type Tx = Prisma.TransactionClient;

export interface AnalyzerDeps {
  db: PrismaClient;
  voice: GrpcClient<typeof voiceV1.VoiceServiceService>["call"];
  leads: GrpcClient<typeof leadsV1.LeadsServiceService>["call"];
  /** Gives no extractor when neither the workspace nor the operator has an OpenAI key. */
  extractors: Extractors;
  prices: PriceTable;
  maxAttempts: number;
  /** Delay before each retry after the LLM was unavailable, the last one repeating. */
  retryDelaysMs: number[];
  logger: Logger;
}

const MIN_WORDS = 5;
/** Waits for a call's report that has not arrived yet, by attempt; then the call is taken as it is. */
const REPORT_WAITS_MS = [1000, 3000, 10_000, 30_000];
const insightsTotal = counter("parley_analytics_insights_total", "Call insights by final status", ["status"]);
const callEndToInsight = histogram("parley_analytics_call_end_to_insight_seconds", "From a call's end to its insight stored", [], [1, 2, 5, 10, 30, 60, 120, 300, 900]);

/** The extraction and the model that made it. */
type Made = Extraction & { model: string };
type Final = { status: "succeeded"; insight: Insight; extraction: Made } | { status: "skipped" | "failed"; reason: string; extraction?: Made };

/** The call as voice has it when the insight is final: talk time and cost often arrive after the end. */
interface CallFigures {
  durationSeconds: number;
  cost: number;
  /** Kept beside Parley's insight. */
  providerAnalysis?: Record<string, unknown>;
}

export class InsightAnalyzer {
  constructor(private readonly deps: AnalyzerDeps) {}

  readonly analyze = async (row: CallInsight): Promise<void> => {
    // Claims taken by workers that died also count: a call that keeps killing its worker stops here.
    let call: voiceV1.Call | undefined;
    try {
      ({ call } = await this.deps.voice.getCall({ workspaceId: row.workspaceId, callId: row.callId }));
    } catch (err) {
      // Erased since it ended (retention, a deleted lead): nothing left to analyse.
      if (!(err instanceof DomainError && err.kind === "not_found")) throw err;
      return this.finish(row, { durationSeconds: row.durationSeconds, cost: row.telephonyCost }, { status: "skipped", reason: "the call no longer exists" });
    }
    const figures = { durationSeconds: call?.durationSeconds ?? row.durationSeconds, cost: call?.cost ?? row.telephonyCost, providerAnalysis: call?.providerAnalysis };
    if (row.attempts > this.deps.maxAttempts + REPORT_WAITS_MS.length) return this.finish(row, figures, { status: "failed", reason: `gave up after ${row.attempts - 1} attempts` });
    const transcript = call?.transcript ?? "";
    const words = transcript.split(/\s+/).filter(Boolean).length;
    // A call's report (transcript, cost) often comes after its end: Vapi's end-of-call-report,
    // Bolna's completed after call-disconnected. Wait for it a little before taking what there is.
    const settled = figures.cost > 0 && (transcript !== "" || row.endedReason !== "completed");
    const wait = REPORT_WAITS_MS[row.attempts - 1];
    if (!settled && wait !== undefined) return this.retryLater(row, wait, "waiting for the call's report");
    if (words < MIN_WORDS) return this.finish(row, figures, { status: "skipped", reason: transcript ? `the transcript has ${words} words, under ${MIN_WORDS}` : "the call has no transcript" });
    const extractor = await this.deps.extractors.forWorkspace(row.workspaceId);
    if (!extractor) return this.finish(row, figures, { status: "failed", reason: "no OpenAI key: PUT /v1/integrations/openai, or set OPENAI_API_KEY for every workspace" });

    const { workspace } = await this.deps.leads.getWorkspace({ workspaceId: row.workspaceId });
    const profile = (workspace?.profile ?? {}) as { offer?: string; qualification?: QualificationCriterion[] };
    const criteria = profile.qualification ?? [];
    const schema = insightSchema(criteria);
    let extraction: Made;
    try {
      extraction = { model: extractor.model, ...(await extractor.extract(
        insightPrompt({ business: workspace?.name ?? "", offer: profile.offer ?? "", endedReason: row.endedReason, durationSeconds: row.durationSeconds, transcript, criteria }),
        schema,
      )) };
    } catch (err) {
      // The SDK already retried 429/5xx: try again later, a bounded number of times.
      if (row.attempts >= this.deps.maxAttempts) return this.finish(row, figures, { status: "failed", reason: `the LLM is unavailable: ${(err as Error).message}` });
      const delay = this.deps.retryDelaysMs[Math.min(row.attempts - 1, this.deps.retryDelaysMs.length - 1)] ?? 60_000;
      this.deps.logger.warn({ err, call_id: row.callId, attempt: row.attempts, retry_in_ms: delay }, "insight extraction failed; will retry");
      return this.retryLater(row, delay, `retrying: ${(err as Error).message}`);
    }
    if (extraction.insight) return this.finish(row, figures, { status: "succeeded", insight: extraction.insight, extraction });
    return this.finish(row, figures, { status: "failed", reason: extraction.failure ?? "no usable answer", extraction });
  };

  private async retryLater(row: CallInsight, delayMs: number, reason: string): Promise<void> {
    await this.deps.db.callInsight.updateMany({
      where: { callId: row.callId, claimedAt: row.claimedAt, status: "running" },
      data: { status: "pending", nextAttemptAt: new Date(Date.now() + delayMs), reason: reason.slice(0, 1000), updatedAt: new Date() },
    });
  }

  /** Stores the final state under the claim (a row re-claimed after a lost lease is not finished twice). */
  private async finish(row: CallInsight, figures: CallFigures, final: Final): Promise<void> {
    const usage = final.extraction;
    const model = usage?.model ?? null;
    const cost = usage && model ? llmCost(this.deps.prices, model, usage.promptTokens, usage.completionTokens) : 0;
    const insight = final.status === "succeeded" ? final.insight : undefined;
    const done = await this.deps.db.$transaction(async (tx) => {
      const { count } = await tx.callInsight.updateMany({
        where: { callId: row.callId, claimedAt: row.claimedAt, status: "running" },
        data: {
          status: final.status,
          reason: final.status === "succeeded" ? null : final.reason.slice(0, 1000),
          durationSeconds: figures.durationSeconds,
          telephonyCost: figures.cost,
          ...(figures.providerAnalysis ? { providerAnalysis: figures.providerAnalysis as Prisma.InputJsonObject } : {}),
          ...(insight
            ? {
                summary: insight.summary,
                sentiment: insight.sentiment,
                outcome: insight.outcome,
                interestLevel: insight.interest_level,
                objections: insight.objections,
                meetingTime: insight.meeting_time,
                nextAction: insight.next_action,
                language: insight.language,
                qualification: insight.qualification as Prisma.InputJsonObject,
              }
            : {}),
          rawAnswer: final.status === "failed" ? (usage?.raw ?? null) : null,
          promptVersion: usage ? PROMPT_VERSION : null,
          model: usage ? model : null,
          promptTokens: usage?.promptTokens ?? 0,
          completionTokens: usage?.completionTokens ?? 0,
          llmRequests: usage?.requests ?? 0,
          llmCost: cost,
          updatedAt: new Date(),
        },
      });
      if (!count) return false;
      await this.record(tx, row, figures, insight, cost);
      await emitEvent(tx, {
        domain: "analytics",
        event: "call_analyzed",
        workspaceId: row.workspaceId,
        encode: (eventId, occurredAt) =>
          events.CallAnalyzed.encode({
            eventId,
            occurredAt,
            workspaceId: row.workspaceId,
            callId: row.callId,
            leadId: row.leadId,
            campaignId: row.campaignId ?? "",
            status: final.status,
            outcome: insight?.outcome ?? "",
            sentiment: insight?.sentiment ?? "",
            summary: insight?.summary ?? "",
            meetingTime: insight?.meeting_time ?? "",
          }).finish(),
      });
      return true;
    });
    if (!done) return;
    insightsTotal.inc({ status: final.status });
    if (row.endedAt) callEndToInsight.observe((Date.now() - row.endedAt.getTime()) / 1000);
  }

  private record(tx: Tx, row: CallInsight, figures: CallFigures, insight: Insight | undefined, cost: number): Promise<void> {
    return addStats(tx, { workspaceId: row.workspaceId, campaignId: row.campaignId ?? "", day: row.endedAt ?? row.createdAt }, {
      talk_seconds: row.endedReason === "completed" ? figures.durationSeconds : 0,
      cost_telephony: figures.cost,
      cost_llm: cost,
      ...(insight ? { analyzed: 1, [`outcome:${insight.outcome}`]: 1, [`sentiment:${insight.sentiment}`]: 1, meetings_booked: insight.outcome === "meeting_booked" ? 1 : 0 } : {}),
    });
  }
}
