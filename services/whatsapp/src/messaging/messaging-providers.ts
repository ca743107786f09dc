import { PreconditionError } from "@parley/errors";
import type { IntegrationStore } from "@parley/integrations";
import { createHash } from "node:crypto";
import { createMessagingProvider, type MessagingProviderConfig } from "../providers/factory";
import type { MessagingProvider, MessagingProviderKind } from "../providers/port";

export interface MessagingProviderSettings {
  twilioBaseUrl?: string;
  metaBaseUrl?: string;
  timeoutMs: number;
}

/**
 * The adapter for a workspace's sender, built from its credentials where (and only where) a message
 * is about to be sent: secrets are read here, never carried on the bus or stored elsewhere.
 */
export class MessagingProviders {
  /** Adapters keep their HTTP connections: one per set of credentials, rebuilt when they change. */
  private readonly built = new Map<string, MessagingProvider>();

  constructor(
    private readonly integrations: IntegrationStore,
    private readonly settings: MessagingProviderSettings,
  ) {}

  async forWorkspace(workspaceId: string, preferred?: MessagingProviderKind): Promise<MessagingProvider> {
    const order: MessagingProviderKind[] = preferred === "meta" ? ["meta", "twilio"] : ["twilio", "meta"];
    for (const kind of order) {
      const provider = await this.build(workspaceId, kind);
      if (provider) return provider;
    }
    throw new PreconditionError("no WhatsApp integration: PUT /v1/integrations/twilio or /v1/integrations/meta_whatsapp first", { channel: "whatsapp" });
  }

  private async build(workspaceId: string, kind: MessagingProviderKind): Promise<MessagingProvider | undefined> {
    const config = await this.config(workspaceId, kind);
    if (!config) return undefined;
    const key = `${workspaceId}:${createHash("sha256").update(JSON.stringify(config)).digest("hex")}`;
    let provider = this.built.get(key);
    if (!provider) {
      for (const old of this.built.keys()) if (old.startsWith(`${workspaceId}:`) && this.built.get(old)!.kind === kind) this.built.delete(old);
      provider = createMessagingProvider(config);
      this.built.set(key, provider);
    }
    return provider;
  }

  private async config(workspaceId: string, kind: MessagingProviderKind): Promise<MessagingProviderConfig | undefined> {
    const { timeoutMs } = this.settings;
    if (kind === "twilio") {
      const c = await this.integrations.find(workspaceId, "twilio");
      return c && { kind, accountSid: c.account_sid, authToken: c.auth_token, from: c.whatsapp_from, baseUrl: this.settings.twilioBaseUrl, timeoutMs };
    }
    const c = await this.integrations.find(workspaceId, "meta_whatsapp");
    return c && { kind, accessToken: c.access_token, phoneNumberId: c.phone_number_id, businessAccountId: c.business_account_id, baseUrl: this.settings.metaBaseUrl, timeoutMs };
  }
}
