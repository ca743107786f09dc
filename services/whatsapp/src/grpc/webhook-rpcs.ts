import type { IntegrationStore } from "@parley/integrations";
import type { whatsappV1 } from "@parley/proto";
import { timingSafeEqual } from "node:crypto";
import { verifyMetaSignature } from "../providers/webhooks";
import type { SenderDirectory } from "../senders/sender-directory";

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** What the gateway asks before it accepts a WhatsApp webhook: whose is it, and is it genuine. */
export function webhookRpcs(integrations: IntegrationStore, senders: SenderDirectory) {
  return {
    async resolveSender(req: whatsappV1.ResolveSenderRequest): Promise<whatsappV1.ResolveSenderResponse> {
      return { workspaceId: await senders.resolve(req.provider, req.senderId) };
    },
    async verifyMetaSignature(req: whatsappV1.VerifyMetaSignatureRequest): Promise<whatsappV1.VerifyMetaSignatureResponse> {
      if (!req.workspaceId) return { valid: false, reason: "no workspace for this phone_number_id" };
      const meta = await integrations.find(req.workspaceId, "meta_whatsapp");
      if (!meta) return { valid: false, reason: "no meta_whatsapp integration for this workspace" };
      return verifyMetaSignature(meta.app_secret, Buffer.from(req.rawBody), req.signature || undefined) ? { valid: true, reason: "" } : { valid: false, reason: "signature does not match" };
    },
    async verifyMetaToken(req: whatsappV1.VerifyMetaTokenRequest): Promise<whatsappV1.VerifyMetaTokenResponse> {
      const meta = req.workspaceId ? await integrations.find(req.workspaceId, "meta_whatsapp") : undefined;
      return { valid: !!meta && !!req.verifyToken && sameText(meta.verify_token, req.verifyToken) };
    },
  };
}
