import { test } from "node:test";
import assert from "node:assert/strict";
import { Keyring } from "@parley/crypto";
import { NotFoundError } from "@parley/errors";
import { IntegrationStore } from "./store";

/** Just enough of the integrations table for the store's three statements, counting reads. */
function fakeDb() {
  const rows = new Map<string, { kind: string; sealed: string; key_id: string; fields: string[]; updated_at: Date }>();
  const db = {
    reads: 0,
    async $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> {
      const [workspaceId, kind, sealed, keyId, fields] = values as [string, string, string, string, string[]];
      if (query.startsWith("insert")) {
        const row = { kind, sealed, key_id: keyId, fields, updated_at: new Date() };
        rows.set(`${workspaceId}/${kind}`, row);
        return [row] as T;
      }
      db.reads += 1;
      const row = rows.get(`${workspaceId}/${kind}`);
      return (row ? [row] : []) as T;
    },
  };
  return db;
}

test("credentials are opened once per TTL, a change through the store is seen at once, and absence is remembered too", async () => {
  const db = fakeDb();
  let clock = 0;
  const store = new IntegrationStore(db, Keyring.parse(Keyring.generateEntry("k1")), ["vapi"], { cacheTtlMs: 1000, now: () => clock });
  await assert.rejects(store.credentials("ws_1", "vapi"), NotFoundError);
  await assert.rejects(store.credentials("ws_1", "vapi"), NotFoundError);
  assert.equal(db.reads, 1, "a missing integration is not looked up on every webhook");

  await store.put("ws_1", "vapi", { api_key: "k-1", phone_number_id: "pn", webhook_secret: "s-1" });
  assert.equal((await store.credentials("ws_1", "vapi")).webhook_secret, "s-1", "a put through this store is seen at once");
  assert.equal((await store.credentials("ws_1", "vapi")).webhook_secret, "s-1");
  assert.equal(db.reads, 2);

  clock = 1000;
  await store.credentials("ws_1", "vapi");
  assert.equal(db.reads, 3, "read again once the TTL has passed");
});

test("with no TTL every call reads the table", async () => {
  const db = fakeDb();
  const store = new IntegrationStore(db, Keyring.parse(Keyring.generateEntry("k1")), ["vapi"], { cacheTtlMs: 0 });
  await store.put("ws_1", "vapi", { api_key: "k-1", phone_number_id: "pn", webhook_secret: "s-1" });
  await store.credentials("ws_1", "vapi");
  await store.credentials("ws_1", "vapi");
  assert.equal(db.reads, 2);
});
