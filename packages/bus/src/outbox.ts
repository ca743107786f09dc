import { headers as natsHeaders } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import type pg from "pg";
import { newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import { counter, gauge } from "@parley/metrics";
import { injectTraceHeaders } from "@parley/telemetry";
import { HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_WORKSPACE, eventSubject, withPrefix, type EventDomain } from "./subjects";
import type { SqlTx } from "./types";
import { Wakeup } from "./wakeup";

export const OUTBOX_CHANNEL = "parley_outbox";

export interface OutboxEvent {
  /** Chosen by the caller when the payload carries it; generated otherwise. */
  id?: string;
  domain: EventDomain;
  event: string;
  workspaceId: string;
  payload: Uint8Array;
}

/**
 * Writes an event into the outbox inside the caller's transaction: it is published if and only if
 * the transaction commits. The NOTIFY is delivered at commit and wakes the relay at once.
 */
export async function enqueueEvent(tx: SqlTx, event: OutboxEvent): Promise<string> {
  const id = event.id ?? newId("evt");
  await tx.$executeRawUnsafe(
    `insert into bus_outbox (id, subject, event_type, workspace_id, payload, headers) values ($1, $2, $3, $4, $5, $6::jsonb)`,
    id,
    eventSubject(event.domain, event.event, event.workspaceId),
    `${event.domain}.${event.event}`,
    event.workspaceId,
    Buffer.from(event.payload),
    JSON.stringify(injectTraceHeaders()),
  );
  await tx.$executeRawUnsafe(`select pg_notify('${OUTBOX_CHANNEL}', '')`);
  return id;
}

export interface EmittedEvent {
  domain: EventDomain;
  event: string;
  workspaceId: string;
  /** Builds the payload around the event's id and time, so payload, outbox row and Nats-Msg-Id agree. */
  encode(eventId: string, occurredAt: Date): Uint8Array;
}

/** enqueueEvent for a protobuf event that carries its own id and time. */
export function emitEvent(tx: SqlTx, { encode, ...event }: EmittedEvent): Promise<string> {
  const id = newId("evt");
  return enqueueEvent(tx, { ...event, id, payload: encode(id, new Date()) });
}

/**
 * emitEvent for many events in one statement and one NOTIFY: a bulk change (a CSV import's batch)
 * costs two round trips, not two per event. The events keep their order in the outbox.
 */
export async function emitEvents(tx: SqlTx, events: EmittedEvent[]): Promise<string[]> {
  if (!events.length) return [];
  const occurredAt = new Date();
  const ids = events.map(() => newId("evt"));
  await tx.$executeRawUnsafe(
    `insert into bus_outbox (id, subject, event_type, workspace_id, payload, headers)
     select e.id, e.subject, e.event_type, e.workspace_id, e.payload, $6::jsonb
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) with ordinality as e(id, subject, event_type, workspace_id, payload, n)
     order by e.n`,
    ids,
    events.map((e) => eventSubject(e.domain, e.event, e.workspaceId)),
    events.map((e) => `${e.domain}.${e.event}`),
    events.map((e) => e.workspaceId),
    events.map((e, i) => Buffer.from(e.encode(ids[i]!, occurredAt))),
    JSON.stringify(injectTraceHeaders()),
  );
  await tx.$executeRawUnsafe(`select pg_notify('${OUTBOX_CHANNEL}', '')`);
  return ids;
}

interface OutboxRow {
  seq: string;
  id: string;
  subject: string;
  event_type: string;
  workspace_id: string;
  payload: Buffer;
  headers: Record<string, string>;
}

export interface OutboxRelayOptions {
  pool: pg.Pool;
  js: JetStreamClient;
  logger: Logger;
  prefix: string;
  batchSize?: number;
  /** Safety net under LISTEN/NOTIFY, e.g. for rows written while the relay's listener was reconnecting. */
  pollIntervalMs?: number;
  publishTimeoutMs?: number;
  /** Published rows are kept this long for inspection, then pruned. */
  retainPublishedMs?: number;
  /** Inbox rows must outlive the streams' max age, so a redelivery is always recognised. */
  retainInboxMs?: number;
}

const published = counter("parley_bus_events_published_total", "Outbox events published to JetStream", ["type"]);
const publishErrors = counter("parley_bus_publish_errors_total", "Failed outbox publishes (retried)");
const pending = gauge("parley_bus_outbox_pending", "Outbox events not yet published");

export class OutboxTimeoutError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} outbox events still unpublished`);
    this.name = "OutboxTimeoutError";
  }
}

const HOUR = 3_600_000;

/**
 * Publishes outbox rows in order with Nats-Msg-Id = event id (a batch pipelined), then marks them. A crash between
 * publish and mark republishes on restart, and JetStream's de-duplication window drops the copy.
 * Several replicas share the work through `FOR UPDATE SKIP LOCKED`.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly publishTimeoutMs: number;
  private readonly retainPublishedMs: number;
  private readonly retainInboxMs: number;
  private running?: Promise<void>;
  private stopping = false;
  private readonly wakeup: Wakeup;
  private lastPrune = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.retainPublishedMs = options.retainPublishedMs ?? 72 * HOUR;
    this.retainInboxMs = options.retainInboxMs ?? 14 * 24 * HOUR;
    this.wakeup = new Wakeup(options.pool, OUTBOX_CHANNEL, options.logger);
  }

  start(): void {
    this.stopping = false;
    this.running ??= this.loop();
  }

  /** Publishes everything pending now; used at shutdown so no event waits for the next start. */
  async flush(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { done, failed } = await this.publishBatch();
      if (done === 0 && !failed) return;
      if (Date.now() > deadline || failed) {
        const left = await this.countPending();
        if (left > 0) throw new OutboxTimeoutError(left);
        return;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.poke();
    await this.running;
    this.running = undefined;
    this.wakeup.close();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      await this.wakeup.listen();
      let full = false;
      try {
        const { done, failed } = await this.publishBatch();
        full = done === this.batchSize;
        failures = failed ? failures + 1 : 0;
        if (Date.now() - this.lastPrune > HOUR) await this.prune();
        pending.set(await this.countPending());
      } catch (err) {
        failures += 1;
        this.options.logger.error({ err }, "outbox relay failed; retrying");
      }
      if (full && !failures) continue;
      const backoff = failures ? Math.min(30_000, 250 * 2 ** Math.min(failures, 7)) : this.pollIntervalMs;
      await this.wakeup.sleep(backoff);
    }
  }

  private async countPending(): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: string }>("select count(*) as n from bus_outbox where published_at is null");
    return Number(rows[0]?.n ?? 0);
  }

  private async publishBatch(): Promise<{ done: number; failed: boolean }> {
    const client = await this.options.pool.connect();
    let done = 0;
    let failed = false;
    try {
      await client.query("begin");
      const { rows } = await client.query<OutboxRow>(
        `select seq, id, subject, event_type, workspace_id, payload, headers from bus_outbox
         where published_at is null order by seq limit $1 for update skip locked`,
        [this.batchSize],
      );
      // Sent in order on one connection without waiting for each ack in turn (JetStream stores them
      // in that order). Only the prefix before the first failure is marked: the rest are published
      // again later, and the ones that did arrive are dropped by de-duplication.
      const results = await Promise.allSettled(rows.map((row) => this.publish(row)));
      const sent: string[] = [];
      for (const [i, result] of results.entries()) {
        const row = rows[i]!;
        if (result.status === "rejected") {
          failed = true;
          publishErrors.inc();
          this.options.logger.warn({ err: result.reason, event_id: row.id }, "outbox publish failed; will retry");
          await client.query("update bus_outbox set attempts = attempts + 1, last_error = $2 where seq = $1", [row.seq, String(result.reason)]);
          break;
        }
        sent.push(row.seq);
        published.inc({ type: row.event_type });
        if (process.env.PARLEY_CHAOS === "relay_exit_after_publish") await this.chaosExit(row.id);
      }
      if (sent.length) await client.query("update bus_outbox set published_at = now() where seq = any($1::bigint[])", [sent]);
      await client.query("commit");
      done = sent.length;
    } catch (err) {
      await client.query("rollback").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return { done, failed };
  }

  /**
   * Test hook: the process dies after a publish and before the mark. It lingers a moment with the
   * row still locked and unmarked, so the request that caused the event can finish answering first.
   */
  private chaosExit(eventId: string): Promise<never> {
    this.options.logger.warn({ event_id: eventId }, "chaos: exiting between publish and mark");
    return new Promise(() => setTimeout(() => process.exit(86), 250));
  }

  private async publish(row: OutboxRow): Promise<void> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(row.headers)) h.set(key, value);
    h.set(HEADER_EVENT_ID, row.id);
    h.set(HEADER_EVENT_TYPE, row.event_type);
    h.set(HEADER_WORKSPACE, row.workspace_id);
    await this.options.js.publish(withPrefix(row.subject, this.options.prefix), row.payload, {
      msgID: row.id,
      headers: h,
      timeout: this.publishTimeoutMs,
    });
  }

  private async prune(): Promise<void> {
    this.lastPrune = Date.now();
    await this.options.pool.query("delete from bus_outbox where published_at < now() - make_interval(secs => $1)", [this.retainPublishedMs / 1000]);
    await this.options.pool.query("delete from bus_inbox where processed_at < now() - make_interval(secs => $1)", [this.retainInboxMs / 1000]);
  }
}
