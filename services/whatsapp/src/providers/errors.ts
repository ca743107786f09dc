// One error for everything a provider refuses, with a reason the service can act on (send a
// template, opt the lead out, back off, fix the integration) whatever vendor code produced it.
// It is a DomainError, so one that escapes to the edge keeps a meaningful gRPC status and details.
import { DomainError, type DomainErrorKind, ValidationError } from "@parley/errors";
import type { MessagingProviderKind } from "./port";

export type MessagingErrorReason =
  | "window_closed"
  | "unsubscribed"
  | "rate_limited"
  | "invalid_recipient"
  | "template_invalid"
  | "auth"
  | "unavailable"
  | "rejected";

// Precondition rather than invalid_argument: the caller sent a well-formed request the lead's or the
// integration's state refuses, and PreconditionError keeps the details across gRPC.
const KIND_BY_REASON: Record<MessagingErrorReason, DomainErrorKind> = {
  window_closed: "failed_precondition",
  unsubscribed: "failed_precondition",
  invalid_recipient: "failed_precondition",
  template_invalid: "failed_precondition",
  auth: "failed_precondition",
  rate_limited: "resource_exhausted",
  unavailable: "unavailable",
  rejected: "upstream_failed",
};

export interface MessagingProviderErrorInit {
  provider: MessagingProviderKind;
  reason: MessagingErrorReason;
  /** The provider's own code ("63016", "131047"), else `http_<status>`, `timeout` or the network error's code. */
  code: string;
  message: string;
  httpStatus?: number;
  retryAfterMs?: number;
}

export class MessagingProviderError extends DomainError {
  readonly kind: DomainErrorKind;
  readonly provider: MessagingProviderKind;
  readonly reason: MessagingErrorReason;
  readonly code: string;
  readonly httpStatus?: number;
  /** Only throttling and outages pass by themselves; every other reason needs something to change first. */
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(init: MessagingProviderErrorInit) {
    const retryable = init.reason === "rate_limited" || init.reason === "unavailable";
    super(`${init.provider}: ${init.message}`, {
      provider: init.provider,
      reason: init.reason,
      provider_code: init.code,
      retryable,
      ...(init.httpStatus === undefined ? {} : { provider_status: init.httpStatus }),
      ...(init.retryAfterMs === undefined ? {} : { retry_after_ms: init.retryAfterMs }),
    });
    this.kind = KIND_BY_REASON[init.reason];
    this.provider = init.provider;
    this.reason = init.reason;
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.retryable = retryable;
    this.retryAfterMs = init.retryAfterMs;
  }
}

const TWILIO_REASONS = new Map<number, MessagingErrorReason>([
  [63016, "window_closed"],
  [21610, "unsubscribed"],
  [20429, "rate_limited"],
  [63018, "rate_limited"],
  [21211, "invalid_recipient"],
  [21614, "invalid_recipient"],
  [63024, "invalid_recipient"],
  // Status callbacks: unknown destination handset, landline or unreachable carrier.
  [30005, "invalid_recipient"],
  [30006, "invalid_recipient"],
  // ContentSid required / invalid, ContentVariables invalid, no template for the language, wrong
  // parameter count, template rejected / paused / disabled.
  [21654, "template_invalid"],
  [21655, "template_invalid"],
  [21656, "template_invalid"],
  [63027, "template_invalid"],
  [63028, "template_invalid"],
  [63040, "template_invalid"],
  [63041, "template_invalid"],
  [63042, "template_invalid"],
  [20003, "auth"],
]);

const META_REASONS = new Map<number, MessagingErrorReason>([
  [131047, "window_closed"],
  [131050, "unsubscribed"],
  // Application, business-account, per-number and per-recipient throttles.
  [4, "rate_limited"],
  [80007, "rate_limited"],
  [130429, "rate_limited"],
  [131056, "rate_limited"],
  [131026, "invalid_recipient"],
  [131009, "invalid_recipient"],
  // AuthException, missing permission, invalid or expired token.
  [0, "auth"],
  [10, "auth"],
  [190, "auth"],
  // Meta's own outages, reported in a body or a failed status.
  [2, "unavailable"],
  [131000, "unavailable"],
  [131016, "unavailable"],
]);

function codeReason(provider: MessagingProviderKind, code: number): MessagingErrorReason | undefined {
  if (provider === "meta") {
    if (code >= 132000 && code <= 132016) return "template_invalid";
    if (code >= 200 && code <= 299) return "auth";
    return META_REASONS.get(code);
  }
  return TWILIO_REASONS.get(code);
}

function httpReason(httpStatus: number | undefined): MessagingErrorReason {
  if (httpStatus === 429) return "rate_limited";
  if (httpStatus === 401 || httpStatus === 403) return "auth";
  if (httpStatus !== undefined && httpStatus >= 500) return "unavailable";
  return "rejected";
}

/** A refused API request: the provider's code decides when it is known, else the HTTP status. */
export function providerError(
  provider: MessagingProviderKind,
  answer: { code?: number; httpStatus?: number; message: string; retryAfterMs?: number },
): MessagingProviderError {
  const byCode = answer.code === undefined ? undefined : codeReason(provider, answer.code);
  return new MessagingProviderError({
    provider,
    reason: byCode ?? httpReason(answer.httpStatus),
    code: answer.code === undefined ? `http_${answer.httpStatus ?? "unknown"}` : String(answer.code),
    message: answer.message,
    httpStatus: answer.httpStatus,
    retryAfterMs: answer.retryAfterMs,
  });
}

/** The reason behind a `failed` status callback's error code; unknown codes are plain rejections. */
export function statusErrorReason(provider: MessagingProviderKind, code: string | number | undefined): MessagingErrorReason {
  const n = typeof code === "number" ? code : code?.trim() ? Number(code) : NaN;
  return (Number.isInteger(n) ? codeReason(provider, n) : undefined) ?? "rejected";
}

/** A webhook that is not what the provider documents; names the first field that is wrong. */
export class MalformedWebhookError extends ValidationError {
  readonly path: string;

  constructor(path: string, problem = "is missing") {
    super(`malformed webhook: ${path} ${problem}`, [{ path, message: problem }]);
    this.path = path;
  }
}
