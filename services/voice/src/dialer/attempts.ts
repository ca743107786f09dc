// What a campaign does when one of its calls ends: the lead is queued again per the retry policy or
// is done with its final outcome, a spike of provider failures pauses the campaign, and the last
// lead done completes it. Runs inside the transaction that ends the call, so it happens once.
import { counter } from "@parley/metrics";
import type { Call, Prisma } from "../generated/prisma/client.ts";
import type { CampaignsDomain } from "./campaigns";
import { lockCampaign, policyOf } from "./campaigns";
import { nextAttemptAt } from "./retry-policy";

type Tx = Prisma.TransactionClient;

/** A lead's entry as claimed for one call. */
export interface ClaimRef {
  campaignId: string;
  leadId: string;
  callId: string;
}

export interface AutoPauseConfig {
  /** How many of the campaign's latest ended calls are looked at. */
  window: number;
  /** Paused when at least this share of them failed at the provider. */
  failureRatio: number;
}

const finished = counter("parley_voice_campaign_leads_finished_total", "Campaign leads done, by final outcome", ["outcome"]);
const retried = counter("parley_voice_campaign_retries_total", "Campaign attempts followed by a retry, by the attempt's outcome", ["outcome"]);
const autoPaused = counter("parley_voice_campaigns_auto_paused_total", "Campaigns paused because most of their latest calls failed at the provider");

export class CampaignAttempts {
  constructor(
    private readonly campaigns: CampaignsDomain,
    private readonly autoPause: AutoPauseConfig,
    private readonly now: () => Date,
    private readonly random: () => number = Math.random,
  ) {}

  /** `call` has just ended (a webhook, a poll, or a failed dial). */
  async finish(tx: Tx, call: Call): Promise<void> {
    if (!call.campaignId) return;
    await lockCampaign(tx, call.campaignId);
    const campaign = await tx.campaign.findUnique({ where: { id: call.campaignId } });
    const entry = await tx.campaignLead.findUnique({ where: { campaignId_leadId: { campaignId: call.campaignId, leadId: call.leadId } } });
    // Another attempt owns the entry now (this call was given up on and the lead requeued).
    if (!campaign || !entry || entry.callId !== call.id) return;
    const outcome = call.endedReason ?? "failed";
    const now = this.now();
    const retryAt = campaign.status === "cancelled" ? null : nextAttemptAt(policyOf(campaign), outcome, entry.attempts, now, this.random());
    if (retryAt) {
      // Calling hours are checked again when the retry comes due; a retry outside them waits there.
      await tx.campaignLead.update({
        where: { campaignId_leadId: { campaignId: entry.campaignId, leadId: entry.leadId } },
        data: { state: "queued", dueAt: retryAt, callId: null, lastOutcome: outcome, updatedAt: now },
      });
      retried.inc({ outcome });
    } else {
      await tx.campaignLead.update({
        where: { campaignId_leadId: { campaignId: entry.campaignId, leadId: entry.leadId } },
        data: { state: "done", lastOutcome: outcome, finalOutcome: outcome, updatedAt: now },
      });
      finished.inc({ outcome });
    }
    if (outcome === "failed" && campaign.status === "running" && (await this.failureSpike(tx, campaign.id))) {
      autoPaused.inc();
      await this.campaigns.moveTo(tx, campaign, "paused", this.spikeReason(call));
      return;
    }
    if (!retryAt) await this.campaigns.completeIfDone(tx, campaign);
  }

  /** A call the provider refused for capacity: its lead is queued again, the attempt not counted. */
  async requeue(tx: Tx, call: Call, delayMs: number): Promise<void> {
    if (call.campaignId) await this.requeueClaim(tx, { campaignId: call.campaignId, leadId: call.leadId, callId: call.id }, new Date(this.now().getTime() + delayMs));
  }

  /** A claim given back undialed (outside calling hours, leads unreachable, slots lost): not an attempt. */
  async requeueClaim(tx: Tx, claim: ClaimRef, dueAt: Date): Promise<void> {
    await tx.campaignLead.updateMany({
      where: { campaignId: claim.campaignId, leadId: claim.leadId, callId: claim.callId },
      data: { state: "queued", dueAt, callId: null, claimedAt: null, attempts: { decrement: 1 }, updatedAt: this.now() },
    });
  }

  /** A lead that may not be called (opted out, deleted, never inside calling hours): done, no attempt counted. */
  async finishUnplaced(tx: Tx, claim: ClaimRef, outcome: string): Promise<void> {
    await lockCampaign(tx, claim.campaignId);
    const { count } = await tx.campaignLead.updateMany({
      where: { campaignId: claim.campaignId, leadId: claim.leadId, callId: claim.callId },
      data: { state: "done", finalOutcome: outcome, lastOutcome: outcome, callId: null, attempts: { decrement: 1 }, updatedAt: this.now() },
    });
    if (!count) return;
    finished.inc({ outcome });
    const campaign = await tx.campaign.findUnique({ where: { id: claim.campaignId } });
    if (campaign) await this.campaigns.completeIfDone(tx, campaign);
  }

  private async failureSpike(tx: Tx, campaignId: string): Promise<boolean> {
    const latest = await tx.$queryRawUnsafe<{ ended_reason: string | null }[]>(
      "select ended_reason from calls where campaign_id = $1 and ended_at is not null order by ended_at desc limit $2",
      campaignId,
      this.autoPause.window,
    );
    if (latest.length < this.autoPause.window) return false;
    const failed = latest.filter((c) => c.ended_reason === "failed").length;
    return failed / latest.length >= this.autoPause.failureRatio;
  }

  private spikeReason(call: Call): string {
    const share = Math.round(this.autoPause.failureRatio * 100);
    return `auto-paused: at least ${share}% of the last ${this.autoPause.window} calls failed at the provider (latest: ${call.error ?? call.providerReason ?? "failed"})`;
  }
}
