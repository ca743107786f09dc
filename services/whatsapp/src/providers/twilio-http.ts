// The Twilio SDK builds absolute URLs on its own hosts (api.twilio.com, content.twilio.com, their
// regional variants) and has no base-URL option, so a local run reaches the simulator by swapping
// the SDK's HTTP client for one that rewrites those URLs.
import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient";

const TWILIO_HOST = /^([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.twilio\.com$/i;

/**
 * `https://api.twilio.com/<path>` → `<baseUrl>/<path>`, `https://<product>.twilio.com/<path>` →
 * `<baseUrl>/<product>/<path>`. Other hosts pass unchanged: a next-page URL the simulator built
 * already points at it.
 */
export function rewriteTwilioUrl(uri: string, baseUrl: string): string {
  const url = new URL(uri);
  const product = TWILIO_HOST.exec(url.hostname)?.[1]?.toLowerCase();
  if (!product) return uri;
  const prefix = product === "api" ? "" : `/${product}`;
  return `${baseUrl.replace(/\/+$/, "")}${prefix}${url.pathname}${url.search}`;
}

/** The SDK's own client (auth, form encoding, 30 s default timeout) with our timeout and, optionally, base URL. */
export class TwilioHttpClient extends twilio.RequestClient {
  private readonly baseUrl?: string;

  constructor(options: { timeoutMs: number; baseUrl?: string }) {
    // The SDK's automatic 429 retry stays off: a send is not idempotent and the caller decides.
    super({ timeout: options.timeoutMs, autoRetry: false });
    this.baseUrl = options.baseUrl;
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>(this.baseUrl ? { ...opts, uri: rewriteTwilioUrl(opts.uri, this.baseUrl) } : opts);
  }
}
