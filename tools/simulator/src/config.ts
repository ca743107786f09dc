import { Type, type Static } from "typebox";

const Range = Type.Tuple([Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 0 })]);

/** `POST /_sim/config`: timing and load knobs; any subset may be sent, the rest stays. */
export const SimConfigPatch = Type.Object(
  {
    call_duration_ms: Type.Optional(Range),
    ring_ms: Type.Optional(Type.Integer({ minimum: 0 })),
    webhook_delay_ms: Type.Optional(Range),
    concurrency_limit: Type.Optional(
      Type.Object(
        { vapi: Type.Optional(Type.Integer({ minimum: 1 })), bolna: Type.Optional(Type.Integer({ minimum: 1 })), retell: Type.Optional(Type.Integer({ minimum: 1 })) },
        { additionalProperties: false },
      ),
    ),
    openai: Type.Optional(
      Type.Object(
        {
          latency_ms: Type.Optional(Type.Integer({ minimum: 0 })),
          fail_next: Type.Optional(Type.Array(Type.Union([Type.Literal(429), Type.Literal(500), Type.Literal("malformed"), Type.Literal("refusal")]))),
        },
        { additionalProperties: false },
      ),
    ),
    whatsapp: Type.Optional(
      Type.Object(
        {
          rate_per_second: Type.Optional(Type.Integer({ minimum: 1 })),
          status_delay_ms: Type.Optional(Range),
          // false: statuses still advance (the outbox shows them) but no status webhook is sent; load tests.
          status_webhooks: Type.Optional(Type.Boolean()),
          // The next sends are refused this way, in order: 429 (rate limited) or 500 (outage).
          fail_next: Type.Optional(Type.Array(Type.Union([Type.Literal(429), Type.Literal(500)]))),
          // An accepted send is answered this late: the message is already on its way, as when a
          // client dies while the provider is still answering.
          answer_delay_ms: Type.Optional(Type.Integer({ minimum: 0 })),
          // The gaps before each retry of a webhook that was not answered 2xx. Real providers retry
          // for hours (Meta for days); short gaps keep that behaviour testable.
          webhook_retry_ms: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 50 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SimConfigPatch = Static<typeof SimConfigPatch>;

export interface SimConfig {
  call_duration_ms: [number, number];
  ring_ms: number;
  webhook_delay_ms: [number, number];
  concurrency_limit: { vapi: number; bolna: number; retell: number };
  openai: { latency_ms: number; fail_next: (429 | 500 | "malformed" | "refusal")[] };
  /** Sends per business number in any rolling second (Meta's default throughput is 80/s), and the gap between status callbacks. */
  whatsapp: { rate_per_second: number; status_delay_ms: [number, number]; status_webhooks: boolean; fail_next: (429 | 500)[]; answer_delay_ms: number; webhook_retry_ms: number[] };
}

export function defaultConfig(): SimConfig {
  return {
    call_duration_ms: [3000, 8000],
    ring_ms: 500,
    webhook_delay_ms: [0, 50],
    concurrency_limit: { vapi: 10, bolna: 10, retell: 10 },
    openai: { latency_ms: 0, fail_next: [] },
    whatsapp: { rate_per_second: 80, status_delay_ms: [20, 80], status_webhooks: true, fail_next: [], answer_delay_ms: 0, webhook_retry_ms: [50, 150, 450] },
  };
}

export function applyPatch(config: SimConfig, patch: SimConfigPatch): SimConfig {
  return {
    call_duration_ms: patch.call_duration_ms ?? config.call_duration_ms,
    ring_ms: patch.ring_ms ?? config.ring_ms,
    webhook_delay_ms: patch.webhook_delay_ms ?? config.webhook_delay_ms,
    concurrency_limit: { ...config.concurrency_limit, ...patch.concurrency_limit },
    openai: { ...config.openai, ...patch.openai },
    whatsapp: { ...config.whatsapp, ...patch.whatsapp },
  };
}
