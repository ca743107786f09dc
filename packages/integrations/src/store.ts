import type { Keyring } from "@parley/crypto";
import { NotFoundError, ValidationError } from "@parley/errors";
import { INTEGRATION_SCHEMAS, isIntegrationKind, type Credentials, type IntegrationKind } from "./kinds";

/** What may be shown about an integration: never a credential value. */
export interface IntegrationSummary {
  kind: IntegrationKind;
  /** Names of the fields stored, e.g. ["api_key", "phone_number_id"]. */
  fields: string[];
  keyId: string;
  updatedAt: Date;
}

interface Db {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

interface Row {
  kind: string;
  sealed: string;
  key_id: string;
  fields: string[];
  updated_at: Date;
}

const summary = (r: Row): IntegrationSummary => ({ kind: r.kind as IntegrationKind, fields: r.fields, keyId: r.key_id, updatedAt: r.updated_at });
// Bound into the ciphertext: a row copied to another workspace or kind does not open.
const context = (workspaceId: string, kind: string) => `integration/${workspaceId}/${kind}`;

/**
 * Provider credentials, AES-256-GCM sealed at rest in the owning service's `integrations` table,
 * opened only where a provider is called.
 */
export interface IntegrationStoreOptions {
  /**
   * How long opened credentials (or their absence) are reused. Every webhook is verified with
   * them, so they are not read and decrypted per request; a change made through another replica
   * is seen within this time (through this one, at once).
   */
  cacheTtlMs?: number;
  now?: () => number;
}

type Cached = { credentials: unknown; expiresAt: number };
const MAX_CACHED = 10_000;

export class IntegrationStore {
  private readonly cache = new Map<string, Cached>();
  private readonly cacheTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly owned: readonly IntegrationKind[],
    options: IntegrationStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  private checkKind(kind: string): IntegrationKind {
    if (!isIntegrationKind(kind) || !this.owned.includes(kind)) {
      throw new ValidationError(`unknown integration kind ${kind}`, [{ path: "kind", message: `must be one of ${this.owned.join(", ")}` }]);
    }
    return kind;
  }

  async put(workspaceId: string, kind: string, credentials: unknown): Promise<IntegrationSummary> {
    const k = this.checkKind(kind);
    const parsed = INTEGRATION_SCHEMAS[k].safeParse(credentials ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.flatMap((i) =>
        i.code === "unrecognized_keys" ? i.keys.map((k) => ({ path: k, message: "is not a known field" })) : [{ path: i.path.join(".") || "credentials", message: i.message }],
      );
      throw new ValidationError(`invalid ${k} credentials`, errors);
    }
    const fields = Object.keys(parsed.data).sort();
    const sealed = this.keyring.seal(JSON.stringify(parsed.data), context(workspaceId, k));
    const rows = await this.db.$queryRawUnsafe<Row[]>(
      `insert into integrations (workspace_id, kind, sealed, key_id, fields) values ($1, $2, $3, $4, $5)
       on conflict (workspace_id, kind) do update set sealed = excluded.sealed, key_id = excluded.key_id, fields = excluded.fields, updated_at = now()
       returning kind, sealed, key_id, fields, updated_at`,
      workspaceId,
      k,
      sealed,
      this.keyring.activeKeyId,
      fields,
    );
    this.cache.delete(context(workspaceId, k));
    return summary(rows[0]!);
  }

  async list(workspaceId: string): Promise<IntegrationSummary[]> {
    const rows = await this.db.$queryRawUnsafe<Row[]>("select kind, sealed, key_id, fields, updated_at from integrations where workspace_id = $1 order by kind", workspaceId);
    return rows.map(summary);
  }

  private remember(key: string, entry: Cached): void {
    if (this.cache.size >= MAX_CACHED) {
      const now = this.now();
      for (const [k, e] of this.cache) if (e.expiresAt <= now) this.cache.delete(k);
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
    }
    this.cache.set(key, entry);
  }

  /** The decrypted credentials, for the code about to call the provider. */
  async credentials<K extends IntegrationKind>(workspaceId: string, kind: K): Promise<Credentials<K>> {
    this.checkKind(kind);
    const key = context(workspaceId, kind);
    let cached = this.cache.get(key);
    if (!cached || cached.expiresAt <= this.now()) {
      const rows = await this.db.$queryRawUnsafe<Row[]>("select kind, sealed, key_id, fields, updated_at from integrations where workspace_id = $1 and kind = $2", workspaceId, kind);
      const row = rows[0];
      cached = { credentials: row ? JSON.parse(this.keyring.open(row.sealed, key)) : undefined, expiresAt: this.now() + this.cacheTtlMs };
      if (this.cacheTtlMs > 0) this.remember(key, cached);
    }
    if (cached.credentials === undefined) throw new NotFoundError(`${kind} integration`);
    return cached.credentials as Credentials<K>;
  }
}
