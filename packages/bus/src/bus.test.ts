import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { migrate } from "@parley/db";
import { createLogger } from "@parley/logger";
import { startTelemetry } from "@parley/telemetry";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { trace } from "@opentelemetry/api";
import { createTestDatabase, NATS_URL, requireNats, startNatsServer, testPool, uniqueId } from "@parley/testing";
import {
  busMigrations,
  connectBus,
  deleteStreams,
  emitEvents,
  ensureStreams,
  enqueueEvent,
  EventConsumer,
  listDeadLetters,
  OutboxRelay,
  pgTxRunner,
  replayDeadLetter,
  streamName,
  type Bus,
  type InboundEvent,
  type SqlTx,
} from "./index";

const logger = createLogger({ service: "bus-test", level: "silent" });
startTelemetry({ serviceName: "bus-test", exporter: new InMemorySpanExporter() });
let pool: pg.Pool;
let dbUrl: string;

before(async () => {
  await requireNats();
  dbUrl = await createTestDatabase("bus");
  await migrate(dbUrl, [busMigrations]);
  pool = testPool(dbUrl, 8);
});

const tx = (p: pg.Pool = pool) => pgTxRunner(p);

/** A database of the test's own, for tests that run a relay: a relay publishes every pending row. */
async function ownDatabase(label: string): Promise<pg.Pool> {
  const url = await createTestDatabase(label);
  await migrate(url, [busMigrations]);
  return testPool(url);
}

async function openBus(url = NATS_URL): Promise<Bus> {
  const prefix = uniqueId();
  const bus = await connectBus({ url, name: "bus-test", prefix, logger });
  await ensureStreams(bus.jsm, prefix);
  return bus;
}

async function closeBus(bus: Bus): Promise<void> {
  await deleteStreams(bus.jsm, bus.prefix);
  await bus.close();
}

function enqueue(workspaceId: string, body: string, event = "lead_created", p: pg.Pool = pool): Promise<string> {
  return tx(p).transaction((t) => enqueueEvent(t, { domain: "leads", event, workspaceId, payload: new TextEncoder().encode(body) }));
}

/** A consumer whose effect is a row in `effects`, so exactly-once is visible in the database. */
async function effectsTable(p: pg.Pool = pool): Promise<string> {
  const table = `effects_${uniqueId()}`;
  await p.query(`create table ${table} (event_id text, body text)`);
  return table;
}

function recordingHandler(table: string, failFirst = 0) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async handler(event: InboundEvent, t: SqlTx) {
      calls += 1;
      if (calls <= failFirst) throw new Error(`boom ${calls}`);
      await t.$executeRawUnsafe(`insert into ${table} (event_id, body) values ($1, $2)`, event.id, new TextDecoder().decode(event.data));
    },
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rows(table: string, p: pg.Pool = pool): Promise<{ event_id: string; body: string }[]> {
  return (await p.query<{ event_id: string; body: string }>(`select event_id, body from ${table} order by body`)).rows;
}

test("streams are provisioned idempotently, even by several replicas at once", async () => {
  const bus = await openBus();
  try {
    await Promise.all([ensureStreams(bus.jsm, bus.prefix), ensureStreams(bus.jsm, bus.prefix), ensureStreams(bus.jsm, bus.prefix)]);
    const info = await bus.jsm.streams.info(streamName("leads", bus.prefix));
    assert.deepEqual(info.config.subjects, [`${bus.prefix}.leads.>`]);
    const webhooks = await bus.jsm.streams.info(streamName("webhooks", bus.prefix));
    assert.deepEqual(webhooks.config.subjects, [`${bus.prefix}.webhooks.>`]);
  } finally {
    await closeBus(bus);
  }
});

test("an event written in a rolled-back transaction is never published", async () => {
  const ws = uniqueId();
  await assert.rejects(
    tx().transaction(async (t) => {
      await enqueueEvent(t, { domain: "leads", event: "lead_created", workspaceId: ws, payload: new Uint8Array([1]) });
      throw new Error("the change failed");
    }),
  );
  const { rows: left } = await pool.query("select 1 from bus_outbox where workspace_id = $1", [ws]);
  assert.equal(left.length, 0);
});

test("events emitted in bulk are outbox rows in the given order, each payload built around its own id", async () => {
  const ws = uniqueId();
  const ids = await tx().transaction((t) =>
    emitEvents(
      t,
      ["a", "b", "c"].map((body) => ({ domain: "leads", event: "lead_created", workspaceId: ws, encode: (id: string) => new TextEncoder().encode(`${body}:${id}`) })),
    ),
  );
  const { rows } = await pool.query<{ id: string; subject: string; payload: Buffer }>("select id, subject, payload from bus_outbox where workspace_id = $1 order by seq", [ws]);
  assert.deepEqual(rows.map((r) => r.id), ids);
  assert.deepEqual(rows.map((r) => r.payload.toString()), ids.map((id, i) => `${"abc"[i]}:${id}`));
  assert.equal(rows[0]!.subject, `leads.lead_created.${ws}`);
  assert.deepEqual(await tx().transaction((t) => emitEvents(t, [])), []);
});

test("outbox events reach a durable consumer once each, with Nats-Msg-Id, headers and order", async () => {
  const db = await ownDatabase("bus_relay");
  const bus = await openBus();
  const relay = new OutboxRelay({ pool: db, js: bus.js, logger, prefix: bus.prefix, pollIntervalMs: 5000 });
  const table = await effectsTable(db);
  const handler = recordingHandler(table);
  const consumer = new EventConsumer({ durable: "effects", domain: "leads", events: ["lead_created"], handler: handler.handler, js: bus.js, jsm: bus.jsm, prefix: bus.prefix, tx: tx(db), logger });
  try {
    relay.start();
    await consumer.start();
    const ws = uniqueId();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await enqueue(ws, `body-${i}`, "lead_created", db));
    await enqueue(ws, "ignored", "lead_updated", db);
    // Woken by NOTIFY, not by the 5 s poll.
    const applied = await waitFor("5 effects", async () => {
      const r = await rows(table, db);
      return r.length === 5 && r;
    }, 4000);
    assert.deepEqual(applied.map((r) => r.event_id).sort(), [...ids].sort());
    const stream = streamName("leads", bus.prefix);
    const first = await bus.jsm.streams.getMessage(stream, { seq: 1 });
    assert.equal(first?.header.get("Nats-Msg-Id"), ids[0]);
    assert.equal(first?.header.get("parley-event-type"), "leads.lead_created");
    assert.equal(first?.subject, `${bus.prefix}.leads.lead_created.${ws}`);
    await waitFor("every row marked published", async () => (await db.query("select 1 from bus_outbox where workspace_id = $1 and published_at is null", [ws])).rows.length === 0);
  } finally {
    await consumer.stop();
    await relay.stop();
    await closeBus(bus);
  }
});

test("the producer's trace continues in the consumer: traceparent rides the outbox row and the NATS headers", async () => {
  const db = await ownDatabase("bus_trace");
  const bus = await openBus();
  const relay = new OutboxRelay({ pool: db, js: bus.js, logger, prefix: bus.prefix });
  let consumerTraceId = "";
  const consumer = new EventConsumer({
    durable: "traced",
    domain: "leads",
    events: [],
    handler: async () => {
      consumerTraceId = trace.getActiveSpan()?.spanContext().traceId ?? "none";
    },
    js: bus.js,
    jsm: bus.jsm,
    prefix: bus.prefix,
    tx: tx(db),
    logger,
  });
  try {
    relay.start();
    await consumer.start();
    const producerTraceId = await trace.getTracer("test").startActiveSpan("POST /v1/leads", async (span) => {
      await enqueue(uniqueId(), "traced", "lead_created", db);
      span.end();
      return span.spanContext().traceId;
    });
    await waitFor("the traced event", async () => consumerTraceId !== "");
    assert.equal(consumerTraceId, producerTraceId);
    const message = await bus.jsm.streams.getMessage(streamName("leads", bus.prefix), { seq: 1 });
    assert.match(message?.header.get("traceparent") ?? "", new RegExp(`^00-${producerTraceId}-`));
  } finally {
    await consumer.stop();
    await relay.stop();
    await closeBus(bus);
  }
});

test("a redelivered or republished event is applied once: JetStream de-duplicates by id, the inbox catches the rest", async () => {
  const bus = await openBus();
  const table = await effectsTable();
  const handler = recordingHandler(table);
  const consumer = new EventConsumer({ durable: "dedupe", domain: "leads", events: [], handler: handler.handler, js: bus.js, jsm: bus.jsm, prefix: bus.prefix, tx: tx(), logger });
  try {
    await consumer.start();
    const subject = `${bus.prefix}.leads.lead_created.ws1`;
    const first = await bus.js.publish(subject, "a", { msgID: "evt_same" });
    const again = await bus.js.publish(subject, "a", { msgID: "evt_same" });
    assert.equal(again.duplicate, true);
    assert.equal(again.seq, first.seq);
    // Outside JetStream's window (a different message id) but the same event id: the inbox must hold.
    const h = natsHeaders();
    h.set("parley-event-id", "evt_same");
    await bus.js.publish(subject, "a", { msgID: "evt_same:copy", headers: h });
    await bus.js.publish(subject, "b", { msgID: "evt_other" });
    await waitFor("2 effects", async () => (await rows(table)).length === 2);
    await waitFor("all 3 deliveries handled", async () => (await bus.jsm.consumers.info(streamName("leads", bus.prefix), "dedupe")).num_ack_pending === 0 && (await bus.jsm.consumers.info(streamName("leads", bus.prefix), "dedupe")).num_pending === 0);
    assert.deepEqual((await rows(table)).map((r) => r.event_id), ["evt_same", "evt_other"]);
  } finally {
    await consumer.stop();
    await closeBus(bus);
  }
});

test("a failing handler is retried with back-off, then dead-lettered; a replay reaches only that consumer", async () => {
  const bus = await openBus();
  const table = await effectsTable();
  const otherTable = await effectsTable();
  const failing = recordingHandler(table, 3);
  const other = recordingHandler(otherTable);
  const common = { domain: "leads" as const, events: [], js: bus.js, jsm: bus.jsm, prefix: bus.prefix, tx: tx(), logger };
  const consumer = new EventConsumer({ ...common, durable: `flaky-${bus.prefix}`, handler: failing.handler, maxAttempts: 3, backoffMs: [50, 100] });
  const bystander = new EventConsumer({ ...common, durable: `bystander-${bus.prefix}`, handler: other.handler });
  try {
    await consumer.start();
    await bystander.start();
    await bus.js.publish(`${bus.prefix}.leads.lead_updated.ws2`, "poison", { msgID: "evt_poison" });
    const [letter] = await waitFor("a dead letter", async () => {
      const letters = await listDeadLetters(pool, { consumer: `flaky-${bus.prefix}` });
      return letters.length === 1 && letters;
    });
    assert.equal(letter?.eventId, "evt_poison");
    assert.equal(letter?.deliveries, 3);
    assert.match(letter?.error ?? "", /boom 3/);
    assert.equal(failing.calls, 3);
    assert.equal((await rows(table)).length, 0);
    await waitFor("bystander applied", async () => (await rows(otherTable)).length === 1);

    // The fourth call succeeds: replay applies the event, and the bystander does not apply it twice.
    const replayed = await replayDeadLetter(pool, bus.js, bus.prefix, letter!.id);
    assert.ok(replayed.replayedAt);
    await waitFor("replayed effect", async () => (await rows(table)).length === 1);
    assert.deepEqual((await rows(table)).map((r) => r.event_id), ["evt_poison"]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(other.calls, 1);
    assert.equal((await listDeadLetters(pool, { consumer: `flaky-${bus.prefix}` })).length, 0);
    assert.equal((await listDeadLetters(pool, { consumer: `flaky-${bus.prefix}`, all: true })).length, 1);
  } finally {
    await consumer.stop();
    await bystander.stop();
    await closeBus(bus);
  }
});

test("a relay killed between publish and mark republishes on restart and JetStream drops the copy", async () => {
  // A database of its own: the relay publishes every pending row, and this test counts them.
  const url = await createTestDatabase("bus_chaos");
  await migrate(url, [busMigrations]);
  const own = testPool(url, 2);
  const bus = await openBus();
  try {
    const ws = uniqueId();
    for (let i = 0; i < 3; i++) await pgTxRunner(own).transaction((t) => enqueueEvent(t, { domain: "leads", event: "lead_created", workspaceId: ws, payload: new Uint8Array([i]) }));
    const fixture = join(import.meta.dirname, "fixtures/relay-process.ts");
    const env = { ...process.env, DATABASE_URL: url, NATS_URL, PARLEY_SUBJECT_PREFIX: bus.prefix };
    const crashed = spawnSync(process.execPath, ["--import", "tsx", fixture], { env: { ...env, PARLEY_CHAOS: "relay_exit_after_publish" }, encoding: "utf8" });
    assert.equal(crashed.status, 86, crashed.stderr);
    const stillPending = await own.query("select 1 from bus_outbox where published_at is null");
    assert.equal(stillPending.rows.length, 3, "the crash happened before the mark");
    const clean = spawnSync(process.execPath, ["--import", "tsx", fixture], { env, encoding: "utf8" });
    assert.equal(clean.status, 0, clean.stderr);
    const info = await bus.jsm.streams.info(streamName("leads", bus.prefix));
    assert.equal(info.state.messages, 3, "one message per event, the republished first one de-duplicated");
    const left = await own.query("select 1 from bus_outbox where published_at is null");
    assert.equal(left.rows.length, 0);
  } finally {
    await closeBus(bus);
  }
});

test("consumers and the relay keep working across a NATS restart", async () => {
  const db = await ownDatabase("bus_restart");
  const server = await startNatsServer();
  const bus = await openBus(server.url);
  const relay = new OutboxRelay({ pool: db, js: bus.js, logger, prefix: bus.prefix, pollIntervalMs: 100, publishTimeoutMs: 1000 });
  const table = await effectsTable(db);
  const handler = recordingHandler(table);
  const consumer = new EventConsumer({ durable: "survivor", domain: "leads", events: [], handler: handler.handler, js: bus.js, jsm: bus.jsm, prefix: bus.prefix, tx: tx(db), logger });
  try {
    relay.start();
    await consumer.start();
    const ws = uniqueId();
    await enqueue(ws, "before", "lead_created", db);
    await waitFor("first effect", async () => (await rows(table, db)).length === 1);

    await server.stop();
    // Written while NATS is down: kept in the outbox, published after it returns.
    await enqueue(ws, "during", "lead_created", db);
    await new Promise((r) => setTimeout(r, 500));
    await server.restart();
    await enqueue(ws, "after", "lead_created", db);

    await waitFor("all effects", async () => (await rows(table, db)).length === 3, 30_000);
    assert.deepEqual((await rows(table, db)).map((r) => r.body), ["after", "before", "during"]);
  } finally {
    await consumer.stop();
    await relay.stop();
    await bus.close();
    await server.dispose();
  }
});
