import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { CallsDomain, ProviderResolver } from "./calls";

export interface ReconcilerConfig {
  /** How often to look for calls that went quiet. */
  intervalMs: number;
  /** A call with no word for this long is asked about at its provider. */
  stuckAfterMs: number;
  /** With no end after this long, a call is finished as failed/lost and its slot freed. */
  giveUpAfterMs: number;
}

const reconciled = counter("parley_voice_calls_reconciled_total", "Quiet calls read back from their provider", ["outcome"]);

/**
 * Webhooks get lost (Vapi does not retry). Calls without a terminal event after `stuckAfterMs` are
 * read back from the provider and finished from its answer, or, past `giveUpAfterMs`, as failed.
 * Any replica may run it: updates go through CallsDomain.apply, which is idempotent.
 */
export class CallReconciler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly db: PrismaClient,
    private readonly calls: CallsDomain,
    private readonly providers: ProviderResolver,
    private readonly config: ReconcilerConfig,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err }, "call reconciliation failed"))
        .finally(() => (this.running = undefined));
    }, this.config.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<number> {
    const quiet = await this.db.call.findMany({
      where: { status: { not: "ended" }, providerCallId: { not: null }, lastEventAt: { lt: new Date(Date.now() - this.config.stuckAfterMs) } },
      orderBy: { lastEventAt: "asc" },
      take: 50,
    });
    for (const call of quiet) {
      try {
        const provider = await this.providers.forCall(call.workspaceId, call.provider);
        const answer = await provider.getCall(call.providerCallId!);
        const after = await this.calls.apply(call.id, answer, "poll");
        if (after.status === "ended") {
          reconciled.inc({ outcome: "finished" });
          this.logger.info({ call_id: call.id, provider: call.provider, ended_reason: after.endedReason }, "quiet call finished from the provider's answer");
        } else if (Date.now() - call.createdAt.getTime() > this.config.giveUpAfterMs) {
          await this.giveUp(call.id, call.providerCallId!, `still ${answer.status} at the provider`);
        } else {
          reconciled.inc({ outcome: "still_live" });
        }
      } catch (err) {
        if (Date.now() - call.createdAt.getTime() > this.config.giveUpAfterMs) await this.giveUp(call.id, call.providerCallId!, String(err));
        else this.logger.warn({ err, call_id: call.id }, "cannot read a quiet call back yet");
      }
    }
    return quiet.length;
  }

  private async giveUp(callId: string, providerCallId: string, why: string): Promise<void> {
    await this.calls.apply(callId, { providerCallId, status: "ended", endedReason: "failed", providerReason: "lost" }, "poll");
    reconciled.inc({ outcome: "lost" });
    this.logger.warn({ call_id: callId, why }, "call finished as failed/lost");
  }
}
