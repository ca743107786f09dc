// When a campaign calls a lead again after an attempt that reached nobody: per outcome, a number of
// attempts in all and a delay that grows by `backoff` with each attempt, spread by ±`jitter` so a
// batch of leads that failed together is not retried together.
import { z } from "zod";

const rule = (max_attempts: number, delay_minutes: number) =>
  z
    .object({
      max_attempts: z.number().int().min(1).max(10),
      delay_minutes: z.number().min(0).max(7 * 24 * 60),
    })
    .strict()
    .default({ max_attempts, delay_minutes });

export const RETRYABLE = ["no_answer", "busy", "voicemail", "failed"] as const;
export type RetryableOutcome = (typeof RETRYABLE)[number];

export const retryPolicySchema = z
  .object({
    no_answer: rule(3, 60),
    busy: rule(3, 15),
    voicemail: rule(2, 240),
    failed: rule(2, 30),
    backoff: z.number().min(1).max(10).default(2),
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict();

export type RetryPolicy = z.infer<typeof retryPolicySchema>;

export const isRetryable = (outcome: string): outcome is RetryableOutcome => (RETRYABLE as readonly string[]).includes(outcome);

/**
 * When to try again after `attempts` attempts ended with `outcome`, or null when the lead is done.
 * `random` is in [0, 1).
 */
export function nextAttemptAt(policy: RetryPolicy, outcome: string, attempts: number, now: Date, random: number): Date | null {
  if (!isRetryable(outcome)) return null;
  const { max_attempts, delay_minutes } = policy[outcome];
  if (attempts >= max_attempts) return null;
  const base = delay_minutes * 60_000 * policy.backoff ** Math.max(0, attempts - 1);
  const spread = 1 + policy.jitter * (2 * random - 1);
  return new Date(now.getTime() + Math.round(base * spread));
}
