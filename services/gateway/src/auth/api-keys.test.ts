import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiKey, PrismaClient } from "../generated/prisma/client.ts";
import { ApiKeys } from "./api-keys";

/** The api_keys table in memory, counting lookups by hash. */
function fakeDb() {
  const rows = new Map<string, ApiKey>();
  const db = {
    lookups: 0,
    apiKey: {
      async create({ data }: { data: Omit<ApiKey, "createdAt" | "lastUsedAt" | "revokedAt"> }) {
        const row = { ...data, createdAt: new Date(), lastUsedAt: null, revokedAt: null } as ApiKey;
        rows.set(row.id, row);
        return { ...row };
      },
      async findUnique({ where }: { where: { hash: string } }) {
        db.lookups += 1;
        const row = [...rows.values()].find((r) => r.hash === where.hash);
        return row ? { ...row } : null;
      },
      async findFirst({ where }: { where: { id: string; workspaceId: string } }) {
        const row = rows.get(where.id);
        return row && row.workspaceId === where.workspaceId ? { ...row } : null;
      },
      async update({ where, data }: { where: { id: string }; data: Partial<ApiKey> }) {
        const row = Object.assign(rows.get(where.id)!, data);
        return { ...row };
      },
    },
  };
  return db;
}

test("a key is looked up once per TTL; revoking it here stops it at once, elsewhere within the TTL", async () => {
  const db = fakeDb();
  let clock = 1_000_000;
  const here = new ApiKeys(db as unknown as PrismaClient, { cacheTtlMs: 5000, now: () => clock });
  const elsewhere = new ApiKeys(db as unknown as PrismaClient, { cacheTtlMs: 5000, now: () => clock });
  const { key, secret } = await here.issue("ws_1", "ci", ["leads:read"]);
  assert.equal((await here.authenticate(secret))?.id, key.id);
  assert.equal((await here.authenticate(secret))?.id, key.id);
  assert.equal((await elsewhere.authenticate(secret))?.id, key.id);
  assert.equal(db.lookups, 2, "one lookup per gateway");

  await here.revoke("ws_1", key.id);
  assert.equal(await here.authenticate(secret), undefined, "revoked through this gateway: at once");
  assert.equal((await elsewhere.authenticate(secret))?.id, key.id, "another replica still has it cached");
  clock += 5000;
  assert.equal(await elsewhere.authenticate(secret), undefined, "and drops it within the TTL");
  assert.equal(await here.authenticate("pk_unknown"), undefined);
});
