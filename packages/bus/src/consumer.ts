import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "@parley/logger";
import { counter, histogram } from "@parley/metrics";
import { withSpanFrom } from "@parley/telemetry";
import { recordDeadLetter } from "./dead-letters";
import { HEADER_EVENT_ID, HEADER_EVENT_TYPE, HEADER_REPLAY_FOR, HEADER_WORKSPACE, streamName, withPrefix, withoutPrefix, type StreamDomain } from "./subjects";
import type { InboundEvent, SqlTx, TxRunner } from "./types";

export interface EventConsumerOptions {
  /** Durable consumer name, also the inbox key: one per effect (e.g. `voice-opt-out-projection`). */
  durable: string;
  domain: StreamDomain;
  /** Event names within the domain (`lead_created`); empty means all. */
  events: string[];
  handler(event: InboundEvent, tx: SqlTx): Promise<void>;
  js: JetStreamClient;
  jsm: JetStreamManager;
  prefix: string;
  tx: TxRunner;
  logger: Logger;
  /** Failed deliveries before the event goes to the dead-letter table. */
  maxAttempts?: number;
  /** Delay before each redelivery after a failure, the last one repeating; jittered ±20 %. */
  backoffMs?: number[];
  ackWaitMs?: number;
  /**
   * Events handled at once (default 1: in order). More only for handlers whose effects commute and
   * that lock what they change, such as forward-only merges of provider webhooks.
   */
  concurrency?: number;
}

const consumed = counter("parley_bus_events_consumed_total", "Events handled by durable consumers", ["consumer", "outcome"]);
const redeliveries = counter("parley_bus_redeliveries_total", "Failed handlings scheduled for redelivery", ["consumer"]);
const deadLetters = counter("parley_bus_dead_letters_total", "Events moved to the dead-letter table", ["consumer"]);
const handleSeconds = histogram("parley_bus_handle_seconds", "Time to apply one event", ["consumer"]);

const CONSUMER_NOT_FOUND = 10014;
const ns = (ms: number) => ms * 1e6;

function headerRecord(msg: JsMsg): Record<string, string> {
  const out: Record<string, string> = {};
  if (!msg.headers) return out;
  for (const [key, values] of msg.headers) if (values[0] !== undefined) out[key] = values[0];
  return out;
}

/**
 * A durable pull consumer that applies each event exactly once: the inbox row `(consumer, event_id)`
 * is written in the same transaction as the handler's effect, so a redelivery finds it and only acks.
 * Failures are redelivered with back-off, then dead-lettered; nothing is dropped silently.
 */
export class EventConsumer {
  private readonly maxAttempts: number;
  private readonly backoffMs: number[];
  private readonly stream: string;
  private messages?: ConsumerMessages;
  private running?: Promise<void>;
  private stopping = false;

  constructor(private readonly options: EventConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? [1000, 5000, 30_000, 120_000];
    this.stream = streamName(options.domain, options.prefix);
  }

  get durable(): string {
    return this.options.durable;
  }

  config(): Partial<ConsumerConfig> {
    const { domain, events, prefix } = this.options;
    // One filter subject: several (filter_subjects) need NATS 2.10; with more than one event the
    // consumer takes the domain and skips the rest itself.
    const filter = events.length === 1 ? withPrefix(`${domain}.${events[0]}.>`, prefix) : withPrefix(`${domain}.>`, prefix);
    return {
      durable_name: this.options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ns(this.options.ackWaitMs ?? 30_000),
      // Our own dead-lettering acts at maxAttempts; the server's bound is a backstop for crashes mid-handling.
      max_deliver: this.maxAttempts + 3,
      max_ack_pending: 1000,
      filter_subject: filter,
    };
  }

  async ensure(): Promise<void> {
    const { jsm, durable } = this.options;
    const config = this.config();
    try {
      await jsm.consumers.info(this.stream, durable);
      await jsm.consumers.update(this.stream, durable, config);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== CONSUMER_NOT_FOUND) throw err;
      await jsm.consumers.add(this.stream, config);
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.ensure();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.running;
  }

  private async run(): Promise<void> {
    const { js, logger, durable } = this.options;
    while (!this.stopping) {
      try {
        const consumer = await js.consumers.get(this.stream, durable);
        this.messages = await consumer.consume({ max_messages: 64 });
        const concurrency = this.options.concurrency ?? 1;
        const inFlight = new Set<Promise<void>>();
        try {
          for await (const msg of this.messages) {
            const job: Promise<void> = this.handle(msg)
              .catch((err: unknown) => logger.error({ err, consumer: durable }, "event handling crashed; it will be redelivered"))
              .finally(() => inFlight.delete(job));
            inFlight.add(job);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
            if (this.stopping) break;
          }
        } finally {
          await Promise.all(inFlight);
        }
      } catch (err) {
        if (this.stopping) break;
        logger.warn({ err, consumer: durable }, "consumer interrupted; resuming");
      }
      if (this.stopping) break;
      // The iterator ends when the consumer or stream went away (e.g. NATS lost its storage): recreate.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await this.ensure().catch((err: unknown) => logger.warn({ err, consumer: durable }, "cannot recreate consumer yet"));
    }
  }

  private toEvent(msg: JsMsg): InboundEvent {
    const headers = headerRecord(msg);
    const subject = withoutPrefix(msg.subject, this.options.prefix);
    const [domain, event, workspaceId] = subject.split(".");
    return {
      id: headers[HEADER_EVENT_ID] ?? headers["Nats-Msg-Id"] ?? `${this.stream}:${msg.seq}`,
      type: headers[HEADER_EVENT_TYPE] ?? `${domain}.${event}`,
      subject,
      workspaceId: headers[HEADER_WORKSPACE] ?? workspaceId ?? "",
      data: msg.data,
      headers,
      deliveryCount: msg.info.deliveryCount,
    };
  }

  private async handle(msg: JsMsg): Promise<void> {
    const { durable, tx, handler } = this.options;
    const event = this.toEvent(msg);
    const replayFor = event.headers[HEADER_REPLAY_FOR];
    const wanted = this.options.events.length === 0 || this.options.events.includes(event.subject.split(".")[1] ?? "");
    if ((replayFor && replayFor !== durable) || !wanted) {
      msg.ack();
      return;
    }
    const end = handleSeconds.startTimer({ consumer: durable });
    try {
      const applied = await withSpanFrom(`consume ${event.type}`, event.headers, { "parley.workspace_id": event.workspaceId, "messaging.consumer": durable }, () =>
        tx.transaction(async (t) => {
          const inserted = await t.$executeRawUnsafe("insert into bus_inbox (consumer, event_id) values ($1, $2) on conflict do nothing", durable, event.id);
          if (inserted === 0) return false;
          await handler(event, t);
          return true;
        }),
      );
      msg.ack();
      consumed.inc({ consumer: durable, outcome: applied ? "applied" : "duplicate" });
    } catch (err) {
      await this.fail(msg, event, err);
    } finally {
      end();
    }
  }

  private async fail(msg: JsMsg, event: InboundEvent, err: unknown): Promise<void> {
    const { durable, logger, tx } = this.options;
    if (event.deliveryCount >= this.maxAttempts) {
      try {
        await tx.transaction((t) => recordDeadLetter(t, durable, event, err));
        msg.term(String(err).slice(0, 200));
        deadLetters.inc({ consumer: durable });
        consumed.inc({ consumer: durable, outcome: "dead_lettered" });
        logger.error({ err, consumer: durable, event_id: event.id, type: event.type, deliveries: event.deliveryCount }, "event dead-lettered");
        return;
      } catch (dlqErr) {
        logger.error({ err: dlqErr, consumer: durable, event_id: event.id }, "cannot write dead letter; redelivering");
      }
    }
    const base = this.backoffMs[Math.min(event.deliveryCount - 1, this.backoffMs.length - 1)] ?? 1000;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    msg.nak(delay);
    redeliveries.inc({ consumer: durable });
    consumed.inc({ consumer: durable, outcome: "failed" });
    logger.warn({ err, consumer: durable, event_id: event.id, type: event.type, delivery: event.deliveryCount, retry_in_ms: delay }, "event handling failed; will retry");
  }
}
