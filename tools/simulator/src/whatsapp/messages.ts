import type { SimConfig } from "../config";
import type { WhatsAppProvider } from "./accounts";
import type { SimClock } from "./clock";
import { twilioSid, wamid } from "./ids";
import { recipientScenario } from "./numbers";
import { RollingRateLimit } from "./rate-limit";
import { renderTemplate, type WaTemplate } from "./templates";
import { between, endless, sleep } from "./timing";

export type WaStatus = "queued" | "sent" | "delivered" | "read" | "failed";

export interface WaMessage {
  provider: WhatsAppProvider;
  id: string;
  /** Twilio: the account sid; Meta: the phone number id. Whose secret signs the status webhooks. */
  sender: string;
  /** The business number (E.164). */
  from: string;
  /** The customer (E.164). */
  to: string;
  kind: "text" | "template";
  /** What the customer reads: the body, or the template rendered with its variables. */
  text: string;
  template: string | null;
  status: WaStatus;
  errorCode: number | null;
  createdAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
  statusCallback: string;
  /** Meta's `biz_opaque_callback_data`: echoed on every status webhook of the message. */
  callbackData: string | null;
}

/** A customer's message to a business number, as both providers' inbound webhooks carry it. */
export interface InboundText {
  messageId: string;
  customer: string;
  text: string;
  profileName: string;
}

export type WaContent =
  | { kind: "text"; body: string }
  /** `template` is undefined when the client named one the account does not have. */
  | { kind: "template"; template: WaTemplate | undefined; variables: Record<string, string> };

export interface SendRequest {
  provider: WhatsAppProvider;
  sender: string;
  from: string;
  to: string;
  content: WaContent;
  statusCallback: string;
  callbackData?: string;
}

export type SendRefusal = "rate_limited" | "unavailable" | "unknown_template" | "template_not_approved" | "unsubscribed";
export type SendResult = { kind: "accepted"; message: WaMessage } | { kind: "refused"; reason: SendRefusal };

export type StatusPublisher = (message: WaMessage) => Promise<void>;

/** Free text outside the customer service window fails after it was accepted: Twilio 63016, Meta 131047. */
export const WINDOW_CLOSED: Record<WhatsAppProvider, number> = { twilio: 63016, meta: 131047 };

const WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Outbound messages of both providers and the rules that decide their fate: the sender's rate
 * limit, template approval, the recipient's test number and the 24-hour window (opened by the
 * customer's last inbound message to that business number, in simulated time). An accepted
 * message walks its statuses on timers; each change is published as the provider's webhook.
 */
export class WhatsAppMessages {
  private outbox: WaMessage[] = [];
  private readonly lastInbound = new Map<string, number>();
  private readonly rateLimit = new RollingRateLimit();
  private lifetime = endless();
  private counts = { sent: 0, rejected_429: 0, rejected: 0, injected_failures: 0 };

  constructor(
    private readonly config: () => SimConfig["whatsapp"],
    private readonly clock: SimClock,
    private readonly publish: StatusPublisher,
  ) {}

  statistics() {
    return { ...this.counts };
  }

  /** The customer wrote to the business number: free text to them is allowed for 24 hours. */
  recordInbound(business: string, customer: string): void {
    this.lastInbound.set(`${business}>${customer}`, this.clock.now());
  }

  /** Answers after `answer_delay_ms`; an accepted message is in the outbox and on its way before that. */
  async send(request: SendRequest): Promise<SendResult> {
    const now = this.clock.now();
    const injected = this.config().fail_next.shift();
    if (injected !== undefined) {
      this.counts.injected_failures += 1;
      return { kind: "refused", reason: injected === 429 ? "rate_limited" : "unavailable" };
    }
    if (!this.rateLimit.admit(request.from, now, this.config().rate_per_second)) {
      this.counts.rejected_429 += 1;
      return { kind: "refused", reason: "rate_limited" };
    }
    const readable = this.readable(request.content);
    if (typeof readable === "string") return this.refuse(readable);
    if (recipientScenario(request.to) === "unsubscribed") return this.refuse("unsubscribed");
    const at = new Date(now);
    const message: WaMessage = {
      provider: request.provider,
      id: request.provider === "twilio" ? twilioSid("SM") : wamid(),
      sender: request.sender,
      from: request.from,
      to: request.to,
      ...readable,
      status: "queued",
      errorCode: null,
      createdAt: at,
      sentAt: null,
      updatedAt: at,
      statusCallback: request.statusCallback,
      callbackData: request.callbackData ?? null,
    };
    this.outbox.push(message);
    this.counts.sent += 1;
    void this.walk(message, this.fate(message, now));
    const delay = this.config().answer_delay_ms;
    if (delay > 0) await sleep(delay, this.lifetime.signal);
    return { kind: "accepted", message };
  }

  get(provider: WhatsAppProvider, id: string): WaMessage | undefined {
    return this.outbox.find((m) => m.provider === provider && m.id === id);
  }

  /** In send order. */
  list(to?: string): readonly WaMessage[] {
    return to ? this.outbox.filter((m) => m.to === to) : this.outbox;
  }

  reset(): void {
    this.lifetime.abort();
    this.lifetime = endless();
    this.outbox = [];
    this.lastInbound.clear();
    this.rateLimit.reset();
    this.counts = { sent: 0, rejected_429: 0, rejected: 0, injected_failures: 0 };
  }

  private refuse(reason: SendRefusal): SendResult {
    this.counts.rejected += 1;
    return { kind: "refused", reason };
  }

  /** What the customer would read, or why the content cannot be sent. */
  private readable(content: WaContent): Pick<WaMessage, "kind" | "text" | "template"> | SendRefusal {
    if (content.kind === "text") return { kind: "text", text: content.body, template: null };
    const { template } = content;
    if (!template) return "unknown_template";
    if (template.status !== "approved") return "template_not_approved";
    return { kind: "template", text: renderTemplate(template.body, content.variables), template: template.name };
  }

  private windowOpen(message: WaMessage, now: number): boolean {
    const last = this.lastInbound.get(`${message.from}>${message.to}`);
    return last !== undefined && now - last < WINDOW_MS;
  }

  /** The statuses the message will go through after `queued`. */
  private fate(message: WaMessage, now: number): WaStatus[] {
    const scenario = recipientScenario(message.to);
    if (message.kind === "text" && (scenario === "free_text_fails" || !this.windowOpen(message, now))) return ["failed"];
    if (scenario === "stuck_at_sent") return ["sent"];
    return ["sent", "delivered", "read"];
  }

  /** One status at a time, each published before the next is due, so webhooks arrive in order. */
  private async walk(message: WaMessage, statuses: WaStatus[]): Promise<void> {
    const signal = this.lifetime.signal;
    for (const status of statuses) {
      if (!(await sleep(between(this.config().status_delay_ms), signal))) return;
      const at = new Date(this.clock.now());
      message.status = status;
      message.updatedAt = at;
      if (status === "sent") message.sentAt = at;
      if (status === "failed") message.errorCode = WINDOW_CLOSED[message.provider];
      if (this.config().status_webhooks) await this.publish(message);
    }
  }
}
