import { createHmac } from "node:crypto";

/**
 * `X-Twilio-Signature`: base64 HMAC-SHA1 keyed with the auth token over the URL Twilio requested
 * (query string included) followed by every POST parameter, name then value, sorted by name.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const payload = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(payload, "utf8").digest("base64");
}

/** `X-Hub-Signature-256`: hex HMAC-SHA256 of the raw body keyed with the app secret. */
export const metaSignature = (appSecret: string, body: string) => `sha256=${createHmac("sha256", appSecret).update(body, "utf8").digest("hex")}`;
