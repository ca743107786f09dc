import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { NotFoundError } from "@parley/errors";
import { newId } from "@parley/ids";
import type { ApiKey, PrismaClient } from "../generated/prisma/client.ts";
import { TtlCache } from "@parley/ttl-cache";
import type { Scope } from "./scopes";

const SECRET_PREFIX = "pk_";

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time comparison for the operator token, so its length and content do not leak through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface IssuedKey {
  key: ApiKey;
  /** Shown once, never stored. */
  secret: string;
}

// last_used_at is advisory: written at most once a minute per key so reads do not become writes.
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeysOptions {
  /**
   * How long a looked-up key is reused, so a request does not read it from the database. A key
   * revoked through this gateway stops at once; through another replica, within this time.
   */
  cacheTtlMs?: number;
  now?: () => number;
}

export class ApiKeys {
  private readonly cache: TtlCache<ApiKey | undefined>;
  private readonly now: () => number;

  constructor(
    private readonly db: PrismaClient,
    options: ApiKeysOptions = {},
  ) {
    this.cache = new TtlCache({ ttlMs: options.cacheTtlMs ?? 5000, now: options.now });
    this.now = options.now ?? Date.now;
  }

  async issue(workspaceId: string, name: string, scopes: Scope[]): Promise<IssuedKey> {
    const secret = `${SECRET_PREFIX}${randomBytes(24).toString("base64url")}`;
    const key = await this.db.apiKey.create({
      data: {
        id: newId("key"),
        workspaceId,
        name,
        prefix: secret.slice(0, 10),
        hash: hashSecret(secret),
        scopes: [...new Set(scopes)],
      },
    });
    return { key, secret };
  }

  /** The live key for a secret, or undefined when it is unknown or revoked. */
  async authenticate(secret: string): Promise<ApiKey | undefined> {
    if (!secret.startsWith(SECRET_PREFIX)) return undefined;
    const hash = hashSecret(secret);
    const key = await this.cache.get(hash, async () => (await this.db.apiKey.findUnique({ where: { hash } })) ?? undefined);
    if (!key || key.revokedAt) return undefined;
    if (!key.lastUsedAt || this.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = new Date(this.now());
      await this.db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: key.lastUsedAt } });
    }
    return key;
  }

  async list(workspaceId: string, limit: number, after?: string): Promise<{ items: ApiKey[]; next?: string }> {
    const rows = await this.db.apiKey.findMany({
      where: { workspaceId, ...(after ? { id: { lt: after } } : {}) },
      orderBy: { id: "desc" },
      take: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, next: rows.length > limit ? items.at(-1)?.id : undefined };
  }

  async revoke(workspaceId: string, id: string): Promise<ApiKey> {
    const key = await this.db.apiKey.findFirst({ where: { id, workspaceId } });
    if (!key) throw new NotFoundError("api key", id);
    if (key.revokedAt) return key;
    const revoked = await this.db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    this.cache.delete(key.hash);
    return revoked;
  }
}
