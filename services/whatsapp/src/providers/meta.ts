import { MessagingProviderError, providerError } from "./errors";
import type { MessagingProvider, OutboundMessage, ProviderTemplate, SendResult } from "./port";
import { placeholderCount, templateCategory, templateStatus } from "./templates";

export const META_GRAPH_URL = "https://graph.facebook.com/v21.0";

export interface MetaOptions {
  accessToken: string;
  phoneNumberId: string;
  /** The WhatsApp Business Account; only listing templates needs it. */
  businessAccountId?: string;
  /** Unset for the Graph API itself; the simulator's prefix in a local run (http://127.0.0.1:8090/meta). */
  baseUrl?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The Cloud API body for one message: `to` in digits only, template values as positional body parameters. */
export function metaMessageBody(message: OutboundMessage): Record<string, unknown> {
  const common = {
    messaging_product: "whatsapp",
    to: message.to.replace(/\D/g, ""),
    ...(message.callbackData ? { biz_opaque_callback_data: message.callbackData } : {}),
  };
  if (message.kind === "text") return { ...common, type: "text", text: { body: message.text } };
  const { name, language, variables } = message.template;
  const components = variables.length ? { components: [{ type: "body", parameters: variables.map((text) => ({ type: "text", text })) }] } : {};
  return { ...common, type: "template", template: { name, language: { code: language }, ...components } };
}

interface MetaTemplate {
  id: string;
  name: string;
  language: string;
  status?: string;
  category?: string;
  components?: { type?: string; text?: string }[];
}

export function fromMetaTemplate(template: MetaTemplate): ProviderTemplate {
  const body = template.components?.find((c) => c.type?.toUpperCase() === "BODY")?.text ?? "";
  return {
    providerTemplateId: template.id,
    name: template.name,
    language: template.language,
    category: templateCategory(template.category),
    status: templateStatus(template.status),
    body,
    variableCount: placeholderCount(body),
  };
}

interface GraphError {
  code?: unknown;
  message?: unknown;
  error_data?: { details?: unknown };
}

function graphErrorMessage(error: GraphError | undefined): string | undefined {
  const parts = [error?.message, error?.error_data?.details].filter((p): p is string => typeof p === "string" && p !== "");
  return parts.length ? parts.join(": ") : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function transportError(err: unknown, timeoutMs: number): MessagingProviderError {
  const timedOut = err instanceof Error && err.name === "TimeoutError";
  const cause = (err as { cause?: { code?: unknown } }).cause?.code;
  return new MessagingProviderError({
    provider: "meta",
    reason: "unavailable",
    code: timedOut ? "timeout" : typeof cause === "string" ? cause : "network",
    message: timedOut ? `did not answer within ${timeoutMs} ms` : `is unreachable: ${String(err)}`,
  });
}

export class MetaMessagingProvider implements MessagingProvider {
  readonly kind = "meta";
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: MetaOptions) {
    this.base = (options.baseUrl ?? META_GRAPH_URL).replace(/\/+$/, "");
    this.fetch = options.fetch ?? fetch;
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const answer = await this.request<{ messages?: { id?: unknown }[] }>("POST", `${this.base}/${encodeURIComponent(this.options.phoneNumberId)}/messages`, metaMessageBody(message));
    const id = answer.messages?.[0]?.id;
    if (typeof id !== "string" || !id) {
      throw new MessagingProviderError({ provider: "meta", reason: "rejected", code: "no_message_id", message: "the send was answered without a message id" });
    }
    // Meta has no queued state in its answer: the first webhook status is `sent`.
    return { providerMessageId: id, status: "queued" };
  }

  async listTemplates(): Promise<ProviderTemplate[]> {
    const { businessAccountId } = this.options;
    if (!businessAccountId) {
      throw new MessagingProviderError({
        provider: "meta",
        reason: "rejected",
        code: "business_account_id_missing",
        message: "listing templates needs the WhatsApp Business Account id (business_account_id) in the integration",
      });
    }
    const templates: ProviderTemplate[] = [];
    let next: string | undefined = `${this.base}/${encodeURIComponent(businessAccountId)}/message_templates?limit=100`;
    while (next) {
      const page: { data?: MetaTemplate[]; paging?: { next?: string } } = await this.request("GET", next);
      templates.push(...(page.data ?? []).map(fromMetaTemplate));
      next = page.paging?.next;
    }
    return templates;
  }

  private async request<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<T> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.options.accessToken}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        // Covers reading the body too: a provider that stalls mid-answer times out the same way.
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw transportError(err, this.options.timeoutMs);
    }
    const parsed = parseJson(text);
    if (res.ok && parsed && typeof parsed === "object") return parsed as T;
    if (res.ok) throw new MessagingProviderError({ provider: "meta", reason: "rejected", code: "malformed_answer", httpStatus: res.status, message: "answered with something other than a JSON object" });
    const error = (parsed as { error?: GraphError } | undefined)?.error;
    const retryAfter = res.headers.get("retry-after");
    throw providerError("meta", {
      code: typeof error?.code === "number" ? error.code : undefined,
      httpStatus: res.status,
      message: graphErrorMessage(error) ?? (text.slice(0, 300) || res.statusText),
      retryAfterMs: retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : undefined,
    });
  }
}
