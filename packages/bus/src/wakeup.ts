import type pg from "pg";
import type { Logger } from "@parley/logger";

/**
 * One LISTEN connection per pool, shared by every Wakeup on it: a service with several loops (the
 * outbox relay, workers, pacers) holds one connection for all their channels instead of one each,
 * which would starve a small pool.
 */
class SharedListener {
  private client?: pg.PoolClient;
  private connecting?: Promise<pg.PoolClient>;
  private readonly handlers = new Map<string, Set<() => void>>();
  private readonly listening = new Set<string>();
  /** LISTEN/UNLISTEN one at a time: a pg client runs one query at once. */
  private queries: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  /** Listens on `channel` for `handler`; false (and a plain poll for the caller) when the database is unreachable. */
  async add(channel: string, handler: () => void): Promise<boolean> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    if (this.listening.has(channel) && this.client) return true;
    try {
      const client = await this.connection();
      await this.serially(() => client.query(`listen ${channel}`));
      this.listening.add(channel);
      return true;
    } catch (err) {
      this.logger.warn({ err, channel }, "listener unavailable; polling");
      return false;
    }
  }

  remove(channel: string, handler: () => void): void {
    const set = this.handlers.get(channel);
    set?.delete(handler);
    if (set?.size) return;
    this.handlers.delete(channel);
    this.listening.delete(channel);
    if (this.client && this.handlers.size === 0) {
      // A LISTENing connection must not go back to the pool for someone else: it is destroyed.
      const client = this.client;
      this.client = undefined;
      client.removeAllListeners("notification");
      client.release(true);
    } else if (this.client) {
      const client = this.client;
      this.serially(() => client.query(`unlisten ${channel}`)).catch(() => undefined);
    }
  }

  private serially<T>(query: () => Promise<T>): Promise<T> {
    const run = this.queries.then(query, query);
    this.queries = run.catch(() => undefined);
    return run;
  }

  isListening(channel: string): boolean {
    return !!this.client && this.listening.has(channel);
  }

  private connection(): Promise<pg.PoolClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = await this.pool.connect();
      client.on("notification", (msg) => {
        for (const handler of this.handlers.get(msg.channel) ?? []) handler();
      });
      client.on("error", (err) => {
        if (this.client !== client) return;
        this.client = undefined;
        this.listening.clear();
        this.logger.warn({ err }, "listener lost; polling until it reconnects");
        client.release(err);
      });
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }
}

const listeners = new WeakMap<pg.Pool, SharedListener>();

function listenerFor(pool: pg.Pool, logger: Logger): SharedListener {
  let listener = listeners.get(pool);
  if (!listener) listeners.set(pool, (listener = new SharedListener(pool, logger)));
  return listener;
}

/**
 * A loop's pause that a Postgres NOTIFY (or a local poke) cuts short, including one that arrived
 * while the loop was busy. Without a listening connection the pause is a plain poll interval.
 */
export class Wakeup {
  private wake?: () => void;
  private notified = false;
  private readonly listener: SharedListener;
  private readonly onNotify = () => this.poke();

  constructor(
    pool: pg.Pool,
    private readonly channel: string,
    logger: Logger,
  ) {
    this.listener = listenerFor(pool, logger);
  }

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

  /** LISTENs (on the pool's shared connection); after losing it, the next call tries again. */
  async listen(): Promise<void> {
    if (this.listener.isListening(this.channel)) return;
    await this.listener.add(this.channel, this.onNotify);
  }

  close(): void {
    this.listener.remove(this.channel, this.onNotify);
  }
}
