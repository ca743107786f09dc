// Provider webhook authentication, one rule per provider (PROVIDERS.md), all comparisons in
// constant time. Pure functions: the secrets come from the workspace's integration.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Verdict = { valid: true } | { valid: false; reason: string };

const ok: Verdict = { valid: true };
const no = (reason: string): Verdict => ({ valid: false, reason });

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmacHex(key: string, ...parts: (Buffer | string)[]): string {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return mac.digest("hex");
}

/** Vapi: HMAC-SHA256 of the body in `x-vapi-signature`, or the legacy inline secret in `x-vapi-secret`. */
export function verifyVapi(body: Buffer, headers: Record<string, string>, webhookSecret: string): Verdict {
  const signature = headers["x-vapi-signature"];
  if (signature) return sameText(signature.replace(/^sha256=/, "").toLowerCase(), hmacHex(webhookSecret, body)) ? ok : no("x-vapi-signature does not match");
  const legacy = headers["x-vapi-secret"];
  if (legacy) return sameText(legacy, webhookSecret) ? ok : no("x-vapi-secret does not match");
  return no("no x-vapi-signature or x-vapi-secret header");
}

const RETELL_MAX_SKEW_MS = 5 * 60 * 1000;

/** Retell: `x-retell-signature: v=<unix ms>,d=<hex HMAC-SHA256(api key, body + v)>`, at most 5 minutes old. */
export function verifyRetell(body: Buffer, headers: Record<string, string>, apiKey: string, now = Date.now()): Verdict {
  const header = headers["x-retell-signature"];
  if (!header) return no("no x-retell-signature header");
  const parts = Object.fromEntries(header.split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const timestamp = Number(parts.v);
  if (!Number.isFinite(timestamp) || !parts.d) return no("x-retell-signature is malformed");
  if (Math.abs(now - timestamp) > RETELL_MAX_SKEW_MS) return no("x-retell-signature is stale");
  return sameText(parts.d.toLowerCase(), hmacHex(apiKey, body, String(parts.v))) ? ok : no("x-retell-signature does not match");
}

/** Bolna signs nothing: its webhook URL carries an unguessable token, the workspace's webhook_secret. */
export function verifyBolna(query: Record<string, string>, webhookSecret: string | undefined): Verdict {
  if (!webhookSecret) return no("the bolna integration has no webhook_secret");
  const token = query.token;
  if (!token) return no("no token in the webhook URL");
  return sameText(token, webhookSecret) ? ok : no("token does not match");
}
