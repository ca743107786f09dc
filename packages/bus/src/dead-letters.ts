import { headers as natsHeaders } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import type pg from "pg";
import { HEADER_EVENT_ID, HEADER_REPLAY_FOR, withPrefix } from "./subjects";
import type { InboundEvent, SqlTx } from "./types";

export async function recordDeadLetter(tx: SqlTx, consumer: string, event: InboundEvent, err: unknown): Promise<void> {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  await tx.$executeRawUnsafe(
    `insert into bus_dead_letters (consumer, event_id, subject, event_type, workspace_id, payload, headers, error, deliveries)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
     on conflict (consumer, event_id) do update set
       error = excluded.error, deliveries = excluded.deliveries, failed_at = now(), replayed_at = null`,
    consumer,
    event.id,
    event.subject,
    event.type,
    event.workspaceId,
    Buffer.from(event.data),
    JSON.stringify(event.headers),
    message.slice(0, 4000),
    event.deliveryCount,
  );
}

export interface DeadLetter {
  id: string;
  consumer: string;
  eventId: string;
  subject: string;
  eventType: string;
  workspaceId: string;
  error: string;
  deliveries: number;
  failedAt: Date;
  replayedAt: Date | null;
  replays: number;
}

interface DeadLetterRow {
  id: string;
  consumer: string;
  event_id: string;
  subject: string;
  event_type: string;
  workspace_id: string;
  error: string;
  deliveries: number;
  failed_at: Date;
  replayed_at: Date | null;
  replays: number;
  payload: Buffer;
  headers: Record<string, string>;
}

const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  consumer: r.consumer,
  eventId: r.event_id,
  subject: r.subject,
  eventType: r.event_type,
  workspaceId: r.workspace_id,
  error: r.error,
  deliveries: r.deliveries,
  failedAt: r.failed_at,
  replayedAt: r.replayed_at,
  replays: r.replays,
});

export interface DeadLetterFilter {
  consumer?: string;
  /** Include letters already replayed. */
  all?: boolean;
  limit?: number;
}

export async function listDeadLetters(pool: pg.Pool, filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
  const { rows } = await pool.query<DeadLetterRow>(
    `select * from bus_dead_letters
     where ($1::text is null or consumer = $1) and ($2 or replayed_at is null)
     order by id limit $3`,
    [filter.consumer ?? null, filter.all ?? false, filter.limit ?? 100],
  );
  return rows.map(toDeadLetter);
}

export class DeadLetterNotFoundError extends Error {
  constructor(readonly deadLetterId: string) {
    super(`no dead letter with id ${deadLetterId}`);
    this.name = "DeadLetterNotFoundError";
  }
}

/**
 * Publishes a dead letter again for its one consumer: same event id (so the inbox still guards
 * against a double effect), a fresh Nats-Msg-Id (so JetStream does not drop it as a duplicate), and
 * `parley-replay-for` so other consumers of the subject skip it.
 */
export async function replayDeadLetter(pool: pg.Pool, js: JetStreamClient, prefix: string, id: string): Promise<DeadLetter> {
  const { rows } = await pool.query<DeadLetterRow>("select * from bus_dead_letters where id = $1", [id]);
  const row = rows[0];
  if (!row) throw new DeadLetterNotFoundError(id);
  const h = natsHeaders();
  for (const [key, value] of Object.entries(row.headers)) if (key !== "Nats-Msg-Id" && !key.startsWith("Nats-")) h.set(key, value);
  h.set(HEADER_EVENT_ID, row.event_id);
  h.set(HEADER_REPLAY_FOR, row.consumer);
  await js.publish(withPrefix(row.subject, prefix), row.payload, { msgID: `${row.event_id}:replay:${row.replays + 1}`, headers: h });
  const updated = await pool.query<DeadLetterRow>("update bus_dead_letters set replayed_at = now(), replays = replays + 1 where id = $1 returning *", [id]);
  return toDeadLetter(updated.rows[0]!);
}
