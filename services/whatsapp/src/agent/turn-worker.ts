import type pg from "pg";
import { WakeupLoop } from "@parley/bus";
import type { Logger } from "@parley/logger";
import { gauge } from "@parley/metrics";
import { TURNS_CHANNEL } from "../conversations/conversations";
import type { TurnQueue } from "./turn-queue";
import type { TurnRunner } from "./turn-runner";

const inFlight = gauge("parley_whatsapp_turns_in_flight", "Agent turns running on this replica", []);

export interface TurnWorkerOptions {
  /** Turns this replica runs at once (the global bound is the queue's). */
  concurrency: number;
  /** The longest sleep without a notification: a safety net for a lost NOTIFY. */
  tickMs: number;
  /** How often live turns' leases are renewed. */
  renewEveryMs: number;
}

/**
 * Runs agent turns on every replica: woken by the NOTIFY an inbound message sends, and by a timer
 * to the moment the next conversation's quiet period ends.
 */
export class TurnWorker {
  private readonly running = new Map<string, Promise<void>>();
  private readonly loop: WakeupLoop;
  private renewTimer?: NodeJS.Timeout;

  constructor(
    pool: pg.Pool,
    private readonly queue: TurnQueue,
    private readonly runner: TurnRunner,
    private readonly options: TurnWorkerOptions,
    private readonly logger: Logger,
  ) {
    this.loop = new WakeupLoop(pool, { name: "agent turns", channel: TURNS_CHANNEL, retryMs: options.tickMs }, () => this.round(), logger);
  }

  start(): void {
    this.loop.start();
    this.renewTimer = setInterval(() => {
      this.queue.renew([...this.running.keys()]).catch((err: unknown) => this.logger.warn({ err }, "turn leases not renewed"));
    }, this.options.renewEveryMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    await this.loop.stop();
    await Promise.allSettled(this.running.values());
  }

  /** Claims what this replica has room for; sleeps until the next conversation's quiet period ends. */
  private async round(): Promise<number> {
    const claimed = await this.queue.claim(this.options.concurrency - this.running.size);
    for (const conversation of claimed) this.launch(conversation.id, () => this.runner.run(conversation));
    const due = await this.queue.nextDueAt();
    return due ? Math.max(10, Math.min(this.options.tickMs, due.getTime() - Date.now())) : this.options.tickMs;
  }

  private launch(conversationId: string, turn: () => ReturnType<TurnRunner["run"]>): void {
    const task = (async () => {
      try {
        const result = await turn();
        if (result.done) await this.queue.finish(conversationId);
        else await this.queue.postpone(conversationId, result.retryInMs);
      } catch (err) {
        // An unexpected failure (a database or leads outage): the lease runs out and the turn is resumed.
        this.logger.error({ err, conversation_id: conversationId }, "agent turn crashed; it resumes when its lease expires");
      } finally {
        this.running.delete(conversationId);
        inFlight.set(this.running.size);
        this.loop.poke();
      }
    })();
    this.running.set(conversationId, task);
    inFlight.set(this.running.size);
  }
}
