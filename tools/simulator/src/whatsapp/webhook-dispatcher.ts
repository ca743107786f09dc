import type { WhatsAppProvider } from "./accounts";
import { endless, sleep } from "./timing";

export interface WebhookDelivery {
  provider: WhatsAppProvider;
  kind: "inbound" | "status";
  messageId: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookAttempt {
  provider: WhatsAppProvider;
  kind: WebhookDelivery["kind"];
  message_id: string;
  url: string;
  attempt: number;
  /** Null when the connection failed or timed out. */
  status_code: number | null;
  at: string;
}

// Twilio gives up on a webhook after 15 s.
const ATTEMPT_TIMEOUT_MS = 15_000;

const succeeded = (status: number | null) => status !== null && status >= 200 && status < 300;

/** Posts webhooks, retrying failed attempts with backoff, and remembers every attempt. */
export class WebhookDispatcher {
  private attempts: WebhookAttempt[] = [];
  private failedAttempts = 0;
  private lifetime = endless();

  /** `retryBackoffMs`: the gap before each retry; as many retries as gaps. */
  constructor(private readonly retryBackoffMs: () => readonly number[]) {}

  get failed(): number {
    return this.failedAttempts;
  }

  list(): readonly WebhookAttempt[] {
    return this.attempts;
  }

  /** The status code of the last attempt; retries stop at the first 2xx, after the last backoff, or on reset. */
  async deliver(delivery: WebhookDelivery): Promise<number | null> {
    const signal = this.lifetime.signal;
    for (let attempt = 1; ; attempt++) {
      const status = await this.post(delivery, signal);
      if (signal.aborted) return status;
      this.attempts.push({ provider: delivery.provider, kind: delivery.kind, message_id: delivery.messageId, url: delivery.url, attempt, status_code: status, at: new Date().toISOString() });
      if (succeeded(status)) return status;
      this.failedAttempts += 1;
      const backoff = this.retryBackoffMs()[attempt - 1];
      if (backoff === undefined || !(await sleep(backoff, signal))) return status;
    }
  }

  /** Stops every delivery and retry in flight. */
  reset(): void {
    this.lifetime.abort();
    this.lifetime = endless();
    this.attempts = [];
    this.failedAttempts = 0;
  }

  private async post(delivery: WebhookDelivery, signal: AbortSignal): Promise<number | null> {
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      await response.body?.cancel();
      return response.status;
    } catch {
      return null;
    }
  }
}
