import type pg from "pg";
import type { Logger } from "@parley/logger";

/**
 * A loop's pause that a Postgres NOTIFY (or a local poke) cuts short, including one that arrived
 * while the loop was busy. Without a listening connection the pause is a plain poll interval.
 */
export class Wakeup {
  private wake?: () => void;
  private notified = false;
  private listener?: pg.PoolClient;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /** Wakes the current or the next sleep. */
  poke(): void {
    this.notified = true;
    this.wake?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** LISTENs on a connection of its own; after losing it, the next call tries again. */
  async listen(): Promise<void> {
    if (this.listener) return;
    try {
      const client = await this.pool.connect();
      client.on("notification", () => this.poke());
      client.on("error", (err) => {
        if (this.listener !== client) return;
        this.listener = undefined;
        this.logger.warn({ err, channel: this.channel }, "listener lost; polling until it reconnects");
        client.release(err);
      });
      await client.query(`listen ${this.channel}`);
      this.listener = client;
    } catch (err) {
      this.logger.warn({ err, channel: this.channel }, "listener unavailable; polling");
    }
  }

  /** A LISTENing connection must not go back to the pool for someone else: it is destroyed. */
  close(): void {
    const listener = this.listener;
    this.listener = undefined;
    listener?.removeAllListeners("notification");
    listener?.release(true);
  }
}
