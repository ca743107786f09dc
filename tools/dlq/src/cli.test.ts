import { test } from "node:test";
import assert from "node:assert/strict";
import { busMigrations, connectBus, deleteStreams, ensureStreams, pgTxRunner, recordDeadLetter, streamName } from "@parley/bus";
import { migrate } from "@parley/db";
import { createLogger } from "@parley/logger";
import { cleanup, createTestDatabase, NATS_URL, requireNats, testPool, uniqueId } from "@parley/testing";
import { runDlq, UsageError } from "./cli";

test("lists dead letters and replays them to their consumer, once marked replayed they leave the pending list", async () => {
  await requireNats();
  const url = await createTestDatabase("dlq");
  await migrate(url, [busMigrations]);
  const pool = testPool(url, 2);
  const prefix = uniqueId();
  const bus = await connectBus({ url: NATS_URL, name: "dlq-test", prefix, logger: createLogger({ service: "t", level: "silent" }) });
  await ensureStreams(bus.jsm, prefix);
  cleanup(async () => {
    await deleteStreams(bus.jsm, prefix);
    await bus.close();
  });
  await pgTxRunner(pool).transaction((t) =>
    recordDeadLetter(t, "voice-opt-out-projection", { id: "evt_1", type: "leads.lead_opted_out", subject: "leads.lead_opted_out.ws_1", workspaceId: "ws_1", data: new Uint8Array([1, 2]), headers: {}, deliveryCount: 5 }, new Error("db down")),
  );
  const env = { NATS_URL, PARLEY_SUBJECT_PREFIX: prefix };
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), env };

  await runDlq(["list", "--database-url", url, "--json"], io);
  const listed = JSON.parse(out.pop()!) as { id: string; consumer: string; error: string }[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]?.consumer, "voice-opt-out-projection");
  assert.match(listed[0]?.error ?? "", /db down/);

  await runDlq(["replay", "--database-url", url, "--pending"], io);
  assert.match(out.pop()!, /replayed .* to voice-opt-out-projection/);
  const msg = await bus.jsm.streams.getMessage(streamName("leads", prefix), { seq: 1 });
  assert.equal(msg?.subject, `${prefix}.leads.lead_opted_out.ws_1`);
  assert.equal(msg?.header.get("parley-replay-for"), "voice-opt-out-projection");
  assert.equal(msg?.header.get("parley-event-id"), "evt_1");

  await runDlq(["list", "--database-url", url], io);
  assert.equal(out.pop(), "no dead letters");
  await runDlq(["replay", "--database-url", url, "--pending"], io);
  assert.equal(out.pop(), "nothing to replay");
});

test("bad usage names the problem and prints the usage", async () => {
  const io = { out: () => undefined, env: {} };
  await assert.rejects(runDlq([], io), (err: unknown) => err instanceof UsageError && /a command is required/.test(err.message) && /usage:/.test(err.message));
  await assert.rejects(runDlq(["list"], io), (err: unknown) => err instanceof UsageError && /--service or --database-url/.test(err.message));
  await assert.rejects(runDlq(["list", "--service", "../x"], io), (err: unknown) => err instanceof UsageError && /not a service name/.test(err.message));
});
