import type { Keyring } from "@parley/crypto";
import { NotFoundError, ValidationError } from "@parley/errors";
import { TtlCache } from "@parley/ttl-cache";
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


export class IntegrationStore {
  private readonly cache: TtlCache<unknown>;

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly owned: readonly IntegrationKind[],
    options: IntegrationStoreOptions = {},
  ) {
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 30_000, now: options.now });
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

  /** The decrypted credentials, for the code about to call the provider. */
  async credentials<K extends IntegrationKind>(workspaceId: string, kind: K): Promise<Credentials<K>> {
    const found = await this.find(workspaceId, kind);
    if (!found) throw new NotFoundError(`${kind} integration`);
    return found;
  }

  /** The decrypted credentials, or undefined when the workspace has none of this kind. */
  async find<K extends IntegrationKind>(workspaceId: string, kind: K): Promise<Credentials<K> | undefined> {
    this.checkKind(kind);
    const key = context(workspaceId, kind);
    const credentials = await this.cache.get(key, async () => {
      const rows = await this.db.$queryRawUnsafe<Row[]>("select kind, sealed, key_id, fields, updated_at from integrations where workspace_id = $1 and kind = $2", workspaceId, kind);
      const row = rows[0];
      return row ? (JSON.parse(this.keyring.open(row.sealed, key)) as unknown) : undefined;
    });
    return credentials as Credentials<K> | undefined;
  }
}
