// Twilio signs a webhook with HMAC-SHA1 of the URL it requested followed by every POST parameter
// (name then value, sorted by name), keyed with the account's auth token, base64-encoded.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IntegrationStore } from "@parley/integrations";
import type { whatsappV1 } from "@parley/proto";

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const payload = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(payload, "utf8").digest("base64");
}

export function validTwilioSignature(authToken: string, url: string, params: Record<string, string>, signature: string): boolean {
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function verifyTwilioRpc(integrations: IntegrationStore) {
  return {
    async verifyTwilioSignature(req: whatsappV1.VerifyTwilioSignatureRequest): Promise<whatsappV1.VerifyTwilioSignatureResponse> {
      if (!req.workspaceId) return { valid: false, reason: "no workspace for this number" };
      if (!req.signature) return { valid: false, reason: "no X-Twilio-Signature" };
      const twilio = await integrations.find(req.workspaceId, "twilio");
      if (!twilio) return { valid: false, reason: "no twilio integration for this workspace" };
      return validTwilioSignature(twilio.auth_token, req.url, req.params, req.signature) ? { valid: true, reason: "" } : { valid: false, reason: "signature does not match" };
    },
  };
}
