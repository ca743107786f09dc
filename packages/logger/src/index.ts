import { pino, type Logger, type LoggerOptions, type DestinationStream } from "pino";

export type { Logger } from "pino";

const REDACTED = "[redacted]";

// Keys whose values never reach a log line, matched case-insensitively anywhere in the object.
const SECRET_KEY =
  /^(authorization|cookie|set-cookie|password|secret|.*_secret|secret_.*|token|.*_token|api_?key|.*_api_key|x-api-key|auth_token|access_token|credentials?|phone|phone_number|to|from|e164|msisdn|transcript|transcripts|recording_url|email)$/i;
// Phone numbers inside free text: E.164-like (`+` then 8+ digits, loosely grouped) or US-style
// groups. Bare digit runs (timestamps, ids) and dotted addresses (IPs) are not phone numbers.
const PHONE_IN_TEXT = /\+\d[\d\s()-]{6,}\d|\(?\b\d{3}\)?[\s-]\d{3}-\d{4}\b/g;
// Bearer credentials and our own key format inside free text.
const SECRET_IN_TEXT = /(Bearer\s+)\S+|\bpk_[A-Za-z0-9_]+\b|\bsk-[A-Za-z0-9_-]+\b/g;

export function scrubText(text: string): string {
  return text
    .replace(SECRET_IN_TEXT, (_m, bearer?: string) => (bearer ? `${bearer}${REDACTED}` : REDACTED))
    .replace(PHONE_IN_TEXT, REDACTED);
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === "string") return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return value;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface LoggerConfig {
  service: string;
  level?: string;
  destination?: DestinationStream;
}

/** One JSON logger per process; secrets, phone numbers and transcripts are scrubbed before writing. */
export function createLogger({ service, level = "info", destination }: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redact(obj) as Record<string, unknown>,
    },
    serializers: {
      err: (err: Error) => ({
        type: err.name,
        message: scrubText(err.message),
        stack: err.stack ? scrubText(err.stack) : undefined,
      }),
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === "string" ? scrubText(a) : a)) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
