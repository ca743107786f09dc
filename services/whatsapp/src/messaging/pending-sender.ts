import type pg from "pg";
import { WakeupLoop } from "@parley/bus";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { EgressSpacing } from "./egress-spacing";
import { SendLaterError, type MessageSender } from "./message-sender";

/** Wakes the pacers: a message was queued. */
export const PENDING_CHANNEL = "whatsapp_pending";

const paced = counter("parley_whatsapp_paced_sends_total", "Queued messages (broadcasts, follow-ups, fallbacks) sent by the pacer, by outcome", ["outcome"]);

export interface PendingSenderOptions {
  /** Messages per second per sender number (Meta's default throughput is 80). */
  senderRate: number;
  /** Each claim covers this much sending time per sender; a replica then spaces the sends evenly. */
  sliceMs: number;
  /** How long a claimed message is held before another replica may take it. */
  holdMs: number;
  tickMs: number;
  retryMs: number;
}

interface Claimed {
  id: string;
  /** The sender it goes out on: sends on one sender are spaced by `gapMs`. */
  lane: string;
  at: number;
  gapMs: number;
}

/** A sender's claimed messages on this replica, sent one at a time. */
interface Lane {
  queue: Claimed[];
  draining: boolean;
}

/**
 * Sends queued messages (not agent replies, which their turn sends) at each sender number's pace,
 * on every replica. A sender's `next_send_at` is its next free instant: a replica that locks the
 * sender row claims the messages that fit one slice at the rate (the lowest of the sender's and
 * the broadcast's), moves `next_send_at` past them and sends them spaced out, so the rate holds
 * across replicas.
 */
export class PendingSender {
  private readonly loop: WakeupLoop;
  private readonly sending = new Set<Promise<void>>();
  private readonly lanes = new Map<string, Lane>();
  /** Per sender, kept after its lane drains: the spacing must hold across slices. */
  private readonly egress = new Map<string, EgressSpacing>();
  private stopped = false;

  constructor(
    pool: pg.Pool,
    private readonly db: PrismaClient,
    private readonly sender: MessageSender,
    private readonly owner: string,
    private readonly options: PendingSenderOptions,
    private readonly logger: Logger,
  ) {
    this.loop = new WakeupLoop(pool, { name: "whatsapp pacer", channel: PENDING_CHANNEL, retryMs: options.tickMs }, () => this.round(), logger);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    await Promise.allSettled(this.sending);
  }

  /** Schedules a slice of every free sender's queue; sleeps until the next sender is free. */
  private async round(): Promise<number> {
    const { claimed, nextAt } = await this.claim();
    for (const c of claimed) this.schedule(c);
    return nextAt ? Math.max(5, Math.min(this.options.tickMs, nextAt.getTime() - Date.now())) : this.options.tickMs;
  }

  /** One transaction: lock the senders that are free now, take a slice of each one's queue. */
  private async claim(): Promise<{ claimed: Claimed[]; nextAt?: Date }> {
    const { senderRate, sliceMs, holdMs } = this.options;
    return this.db.$transaction(async (tx) => {
      const senders = await tx.$queryRawUnsafe<{ provider: string; sender_id: string; next_send_at: Date | null }[]>(
        `select s.provider, s.sender_id, s.next_send_at from sender_numbers s
          where (s.next_send_at is null or s.next_send_at <= now())
            and exists (select 1 from messages m join conversations c on c.id = m.conversation_id
                         where c.sender_id = s.sender_id and c.provider = s.provider and m.status = 'pending' and m.turn_id is null
                           and (m.not_before is null or m.not_before <= now()) and (m.queued_until is null or m.queued_until <= now()))
          for update of s skip locked`,
      );
      const claimed: Claimed[] = [];
      for (const s of senders) {
        const start = Math.max(Date.now(), s.next_send_at?.getTime() ?? 0);
        const candidates = await tx.$queryRawUnsafe<{ id: string; rate: number | null }[]>(
          `select m.id, b.rate_per_second as rate from messages m
             join conversations c on c.id = m.conversation_id
             left join broadcasts b on b.id = m.broadcast_id
            where c.sender_id = $1 and c.provider = $2 and m.status = 'pending' and m.turn_id is null
              and (m.not_before is null or m.not_before <= now()) and (m.queued_until is null or m.queued_until <= now())
            order by m.created_at limit $3
            for update of m skip locked`,
          s.sender_id,
          s.provider,
          Math.max(1, Math.ceil((senderRate * sliceMs) / 1000)),
        );
        if (!candidates.length) continue;
        const rate = Math.min(senderRate, ...candidates.map((c) => c.rate ?? senderRate));
        const take = candidates.slice(0, Math.max(1, Math.floor((rate * sliceMs) / 1000)));
        const gapMs = 1000 / rate;
        take.forEach((c, i) => claimed.push({ id: c.id, lane: `${s.provider}:${s.sender_id}`, at: start + i * gapMs, gapMs }));
        await tx.$executeRawUnsafe(`update messages set queued_by = $1, queued_until = now() + make_interval(secs => $2::float8 / 1000) where id = any($3::text[])`, this.owner, holdMs, take.map((c) => c.id));
        await tx.$executeRawUnsafe(`update sender_numbers set next_send_at = $1 where provider = $2 and sender_id = $3`, new Date(start + take.length * gapMs), s.provider, s.sender_id);
      }
      const [next] = await tx.$queryRawUnsafe<{ at: Date | null }[]>(
        `select min(greatest(s.next_send_at, now())) as at from sender_numbers s where s.next_send_at > now()`,
      );
      return { claimed, nextAt: next?.at ?? undefined };
    });
  }

  private schedule(c: Claimed): void {
    let lane = this.lanes.get(c.lane);
    if (!lane) this.lanes.set(c.lane, (lane = { queue: [], draining: false }));
    lane.queue.push(c);
    if (!lane.draining) this.track(this.drain(c.lane, lane));
  }

  /**
   * Starts each of a sender's messages at its slot; the provider calls themselves are spaced by the
   * sender's egress gate, so timers that fire late after a busy moment never leave as a burst.
   */
  private async drain(key: string, lane: Lane): Promise<void> {
    lane.draining = true;
    let egress = this.egress.get(key);
    if (!egress) this.egress.set(key, (egress = new EgressSpacing()));
    for (let next = lane.queue.shift(); next && !this.stopped; next = lane.queue.shift()) {
      const wait = next.at - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { gapMs } = next;
      const gate = egress;
      this.track(this.sendOne(next.id, () => gate.through(gapMs)));
    }
    lane.draining = false;
    this.lanes.delete(key);
  }

  private track(task: Promise<void>): void {
    this.sending.add(task);
    void task.finally(() => this.sending.delete(task));
  }

  private async sendOne(id: string, gate: () => Promise<void>): Promise<void> {
    try {
      const outcome = await this.sender.send(id, gate);
      paced.inc({ outcome: outcome.sent ? "sent" : outcome.reason });
    } catch (err) {
      if (err instanceof SendLaterError) {
        paced.inc({ outcome: "retry" });
        await this.db.message.update({ where: { id }, data: { notBefore: new Date(Date.now() + (err.retryAfterMs ?? this.options.retryMs)), queuedBy: null, queuedUntil: null } });
        return;
      }
      paced.inc({ outcome: "error" });
      this.logger.error({ err, message_id: id }, "queued message not sent; it is retried when its hold expires");
    }
  }
}
