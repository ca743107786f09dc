// Values read on a hot path (API keys, opened credentials) reused for a short time instead of read
// per request. An absent value is remembered too: a missing row is not looked up every time.

export interface TtlCacheOptions {
  /** 0 turns the cache off: every get loads. */
  ttlMs: number;
  /** Bound on entries; past it the expired ones go, and if that is not enough, all of them. */
  maxEntries?: number;
  now?: () => number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: TtlCacheOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    const value = await load();
    if (this.options.ttlMs > 0) this.remember(key, value);
    return value;
  }

  /** Forgets a key whose value just changed here, so this process sees the change at once. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  private remember(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
      if (this.entries.size >= this.maxEntries) this.entries.clear();
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
  }
}
