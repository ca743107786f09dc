import type pg from "pg";
import type { Logger } from "@parley/logger";
import { Wakeup } from "./wakeup";

export interface WakeupLoopOptions {
  /** Names the loop in logs. */
  name: string;
  channel: string;
  /** The pause after a round that failed. */
  retryMs: number;
}

/**
 * A background loop that every replica runs: one round of `step`, then a pause of as long as the
 * round asked for (0: go on at once), cut short by a NOTIFY on its channel or by `poke`. A failing
 * round is logged and tried again after `retryMs`; it never ends the loop.
 */
export class WakeupLoop {
  private readonly wakeup: Wakeup;
  private loop?: Promise<void>;
  private stopped = false;

  constructor(
    pool: pg.Pool,
    private readonly options: WakeupLoopOptions,
    private readonly step: () => Promise<number>,
    private readonly logger: Logger,
  ) {
    this.wakeup = new Wakeup(pool, options.channel, logger);
  }

  start(): void {
    this.loop = this.run();
  }

  /** Ends the loop after its current round. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.poke();
    await this.loop;
    this.wakeup.close();
  }

  poke(): void {
    this.wakeup.poke();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.wakeup.listen();
      let pauseMs: number;
      try {
        pauseMs = await this.step();
      } catch (err) {
        this.logger.warn({ err, loop: this.options.name }, `${this.options.name}: round failed; retrying`);
        pauseMs = this.options.retryMs;
      }
      if (pauseMs > 0 && !this.stopped) await this.wakeup.sleep(pauseMs);
    }
  }
}
