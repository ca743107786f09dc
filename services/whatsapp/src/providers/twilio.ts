import twilio from "twilio";
import type { MessageListInstanceCreateOptions } from "twilio/lib/rest/api/v2010/account/message";
import type { ContentAndApprovalsInstance } from "twilio/lib/rest/content/v1/contentAndApprovals";
import { MessagingProviderError, providerError } from "./errors";
import type { MessagingProvider, OutboundMessage, ProviderTemplate, SendResult } from "./port";
import { templateCategory, templateStatus } from "./templates";
import { TwilioHttpClient } from "./twilio-http";
import { twilioDeliveryStatus } from "./webhooks";

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The WhatsApp sender, E.164. */
  from: string;
  /** Unset for Twilio itself; the simulator's prefix in a local run (http://127.0.0.1:8090/twilio). */
  baseUrl?: string;
  timeoutMs: number;
}

/** The Messages API form for one message; templates go by ContentSid, with values keyed "1", "2", … */
export function twilioMessageParams(from: string, message: OutboundMessage): MessageListInstanceCreateOptions {
  const common = {
    from: `whatsapp:${from}`,
    to: `whatsapp:${message.to}`,
    ...(message.statusCallbackUrl ? { statusCallback: message.statusCallbackUrl } : {}),
  };
  if (message.kind === "text") return { ...common, body: message.text };
  const { name, providerTemplateId, variables } = message.template;
  if (!providerTemplateId) {
    throw new MessagingProviderError({
      provider: "twilio",
      reason: "template_invalid",
      code: "content_sid_missing",
      message: `template ${name} has no ContentSid; Twilio sends WhatsApp templates by ContentSid only`,
    });
  }
  const values = Object.fromEntries(variables.map((value, i) => [String(i + 1), value]));
  return { ...common, contentSid: providerTemplateId, ...(variables.length ? { contentVariables: JSON.stringify(values) } : {}) };
}

function stringField(record: object | null | undefined, key: string): string | undefined {
  const value = record ? (record as Record<string, unknown>)[key] : undefined;
  return typeof value === "string" ? value : undefined;
}

type TwilioContent = Pick<ContentAndApprovalsInstance, "sid" | "friendlyName" | "language" | "variables" | "types" | "approvalRequests">;

/** A Content API template: the WhatsApp review lives in `approval_requests`, the text in its types. */
export function fromTwilioContent(content: TwilioContent): ProviderTemplate {
  const types = content.types ?? {};
  const body = stringField(types["twilio/text"], "body") ?? Object.values(types).map((t) => stringField(t, "body")).find((b) => b !== undefined) ?? "";
  const approval = content.approvalRequests;
  return {
    providerTemplateId: content.sid,
    name: content.friendlyName || stringField(approval, "name") || content.sid,
    language: content.language,
    category: templateCategory(stringField(approval, "category")),
    status: templateStatus(stringField(approval, "status")),
    body,
    variableCount: Object.keys(content.variables ?? {}).length,
  };
}

// The SDK throws axios errors for transport failures (no HTTP answer) and RestException or
// TwilioServiceException, both carrying the HTTP `status` and Twilio's `code`, for refusals.
function isTransportError(err: unknown): err is Error & { code?: string } {
  return err instanceof Error && (err as { isAxiosError?: unknown }).isAxiosError === true;
}

function isApiError(err: unknown): err is Error & { status: number; code?: number } {
  return err instanceof Error && typeof (err as { status?: unknown }).status === "number";
}

function twilioFailure(err: unknown, timeoutMs: number): unknown {
  if (isTransportError(err)) {
    const timedOut = err.code === "ECONNABORTED" || err.code === "ETIMEDOUT";
    return new MessagingProviderError({
      provider: "twilio",
      reason: "unavailable",
      code: timedOut ? "timeout" : (err.code ?? "network"),
      message: timedOut ? `did not answer within ${timeoutMs} ms` : `is unreachable: ${err.message}`,
    });
  }
  if (isApiError(err)) {
    // TwilioServiceException reports a missing code as 0.
    return providerError("twilio", { code: err.code || undefined, httpStatus: err.status, message: err.message || `HTTP ${err.status}` });
  }
  return err;
}

export class TwilioMessagingProvider implements MessagingProvider {
  readonly kind = "twilio";
  private readonly client: twilio.Twilio;

  constructor(private readonly options: TwilioOptions) {
    this.client = twilio(options.accountSid, options.authToken, {
      httpClient: new TwilioHttpClient({ timeoutMs: options.timeoutMs, baseUrl: options.baseUrl }),
    });
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const params = twilioMessageParams(this.options.from, message);
    const sent = await this.call(() => this.client.messages.create(params));
    return { providerMessageId: sent.sid, status: twilioDeliveryStatus(sent.status) ?? "queued" };
  }

  async listTemplates(): Promise<ProviderTemplate[]> {
    const contents = await this.call(() => this.client.content.v1.contentAndApprovals.list({ pageSize: 100 }));
    return contents.map(fromTwilioContent);
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw twilioFailure(err, this.options.timeoutMs);
    }
  }
}
