import { CapacityError, DependencyUnavailableError, UpstreamError } from "@parley/errors";

export interface ProviderHttpOptions {
  /** Named in errors and their details. */
  provider: string;
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Attempts for requests that are safe to repeat (reads). */
  maxAttempts?: number;
  /** First back-off delay; doubled per attempt, with full jitter. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

/** Whether a failed request may be sent again: reads always; a dial only if it never left this process. */
export type RetryPolicy = "safe" | "unsent-only";

function providerMessage(body: unknown, fallback: string): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    for (const key of ["message", "error_message", "error", "detail"]) {
      const v = b[key];
      if (typeof v === "string" && v) return v;
      if (Array.isArray(v) && v.length) return v.map(String).join("; ");
      // Cal.com nests it: { error: { code, message } }.
      const nested = v && typeof v === "object" ? (v as Record<string, unknown>).message : undefined;
      if (typeof nested === "string" && nested) return nested;
    }
  }
  return typeof body === "string" && body ? body.slice(0, 500) : fallback;
}

function neverSent(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
}

/** JSON over HTTP to one provider: bearer auth, a timeout on every request, bounded retries with jitter. */
export class ProviderHttp {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ProviderHttpOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? 200;
    this.fetch = options.fetch ?? fetch;
  }

  async request<T>(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body: unknown, retry: RetryPolicy, headers: Record<string, string> = {}): Promise<T> {
    const { provider } = this.options;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetch(new URL(path.replace(/^\//, ""), this.options.baseUrl.replace(/\/?$/, "/")), {
          method,
          headers: { authorization: `Bearer ${this.options.apiKey}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const retryable = retry === "safe" || neverSent(err);
        if (retryable && attempt < this.maxAttempts) {
          await this.pause(attempt);
          continue;
        }
        const timedOut = (err as Error).name === "TimeoutError";
        throw new DependencyUnavailableError(`${provider} ${timedOut ? `did not answer within ${this.timeoutMs} ms` : "is unreachable"}`, { provider, ...(timedOut ? { timeout_ms: this.timeoutMs } : {}) });
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // a non-JSON error page: keep the text as the message
      }
      if (res.ok) return parsed as T;
      if ((res.status >= 500 || res.status === 429) && retry === "safe" && attempt < this.maxAttempts) {
        await this.pause(attempt, res.headers.get("retry-after"));
        continue;
      }
      const message = providerMessage(parsed, res.statusText);
      if (res.status === 429) throw new CapacityError(`${provider}: ${message}`, { provider, provider_status: 429, provider_message: message });
      throw new UpstreamError(`${provider} refused the request: ${message}`, { provider, provider_status: res.status, provider_message: message });
    }
  }

  private pause(attempt: number, retryAfter?: string | null): Promise<void> {
    const hinted = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    const backoff = Math.random() * this.backoffMs * 2 ** (attempt - 1);
    return new Promise((resolve) => setTimeout(resolve, Math.min(10_000, Math.max(hinted, backoff))));
  }
}
