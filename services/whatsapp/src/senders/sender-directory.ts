import { ConflictError } from "@parley/errors";
import { integrationRpcs, type IntegrationStore } from "@parley/integrations";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { MessagingProviderKind } from "../providers/port";

/**
 * Which workspace owns each business sender: an inbound webhook names only the number it was sent
 * to (Twilio) or the phone_number_id (Meta), and must be routed and verified with that workspace's
 * secrets. A sender belongs to one workspace; claiming another's is a conflict.
 */
export class SenderDirectory {
  constructor(private readonly db: PrismaClient) {}

  async resolve(provider: string, senderId: string): Promise<string> {
    if (!senderId) return "";
    const row = await this.db.senderNumber.findUnique({ where: { provider_senderId: { provider, senderId } } });
    return row?.workspaceId ?? "";
  }

  /** Refuses a sender that another workspace has; call before storing the credentials. */
  async checkFree(workspaceId: string, provider: MessagingProviderKind, senderId: string): Promise<void> {
    const owner = await this.resolve(provider, senderId);
    if (owner && owner !== workspaceId) throw new ConflictError(`this ${provider} sender is connected to another workspace`, { sender: senderId });
  }

  /** The workspace's sender for this provider, replacing the one its previous credentials named. */
  async claim(workspaceId: string, provider: MessagingProviderKind, senderId: string): Promise<void> {
    await this.db.$transaction([
      this.db.senderNumber.deleteMany({ where: { workspaceId, provider, NOT: { senderId } } }),
      this.db.senderNumber.upsert({ where: { provider_senderId: { provider, senderId } }, create: { provider, senderId, workspaceId }, update: {} }),
    ]);
  }
}

/** The sender each kind of credentials names. */
export function senderOf(kind: string, credentials: unknown): { provider: MessagingProviderKind; senderId: string } | undefined {
  const c = (credentials ?? {}) as Record<string, unknown>;
  if (kind === "twilio" && typeof c.whatsapp_from === "string") return { provider: "twilio", senderId: c.whatsapp_from };
  if (kind === "meta_whatsapp" && typeof c.phone_number_id === "string") return { provider: "meta", senderId: c.phone_number_id };
  return undefined;
}

/** Put/ListIntegrations, where putting Twilio or Meta credentials also claims the sender they name. */
export function senderAwareIntegrationRpcs(store: IntegrationStore, senders: SenderDirectory) {
  const rpcs = integrationRpcs(store);
  return {
    ...rpcs,
    async putIntegration(req: Parameters<typeof rpcs.putIntegration>[0]) {
      const sender = senderOf(req.kind, req.credentials);
      if (sender) await senders.checkFree(req.workspaceId, sender.provider, sender.senderId);
      const result = await rpcs.putIntegration(req);
      if (sender) await senders.claim(req.workspaceId, sender.provider, sender.senderId);
      return result;
    },
  };
}
