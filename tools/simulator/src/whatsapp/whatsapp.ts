import type { SimConfig } from "../config";
import { WhatsAppAccounts, type WhatsAppSender } from "./accounts";
import { SimClock } from "./clock";
import { twilioSid, wamid } from "./ids";
import { WhatsAppMessages, type WaMessage } from "./messages";
import { metaInbound, metaStatusWebhook } from "./meta-wire";
import { TemplateStore } from "./templates";
import { twilioInbound, twilioStatusCallback } from "./twilio-wire";
import { WebhookDispatcher } from "./webhook-dispatcher";

export interface InboundRequest {
  customer: string;
  text: string;
  profileName: string;
  deliveries: number;
}

/** The WhatsApp side of the simulator (Twilio and Meta): accounts, templates, messages, webhooks and simulated time. */
export class WhatsAppSim {
  readonly clock = new SimClock();
  readonly accounts = new WhatsAppAccounts();
  readonly templates = new TemplateStore();
  readonly webhooks: WebhookDispatcher;
  readonly messages: WhatsAppMessages;

  constructor(config: () => SimConfig) {
    this.webhooks = new WebhookDispatcher(() => config().whatsapp.webhook_retry_ms);
    this.messages = new WhatsAppMessages(() => config().whatsapp, this.clock, (message) => this.publishStatus(message));
  }

  statistics() {
    return { ...this.messages.statistics(), webhooks_failed: this.webhooks.failed };
  }

  /**
   * A customer writes to the business number: the window opens, then the signed inbound webhook is
   * sent `deliveries` times, byte for byte the same, like a provider retrying a delivery it thinks failed.
   */
  async receive(sender: WhatsAppSender, inbound: InboundRequest, url: string): Promise<{ messageId: string; statusCodes: (number | null)[] }> {
    const receivedAt = new Date(this.clock.now());
    const business = sender.provider === "twilio" ? sender.number : sender.display_phone_number;
    const message = { messageId: sender.provider === "twilio" ? twilioSid("SM") : wamid(), customer: inbound.customer, text: inbound.text, profileName: inbound.profileName };
    this.messages.recordInbound(business, inbound.customer);
    const delivery = sender.provider === "twilio" ? twilioInbound(sender, message, url) : metaInbound(sender, message, receivedAt, url);
    const statusCodes: (number | null)[] = [];
    for (let n = 0; n < inbound.deliveries; n++) statusCodes.push(await this.webhooks.deliver(delivery));
    return { messageId: message.messageId, statusCodes };
  }

  reset(): void {
    this.clock.reset();
    this.accounts.reset();
    this.templates.reset();
    this.webhooks.reset();
    this.messages.reset();
  }

  /** Signed with the sender's secret as it is now: a token re-registered since the send signs its later statuses. */
  private async publishStatus(message: WaMessage): Promise<void> {
    if (message.provider === "twilio") {
      const authToken = this.accounts.twilioToken(message.sender);
      if (authToken) await this.webhooks.deliver(twilioStatusCallback(message, authToken));
      return;
    }
    const sender = this.accounts.meta(message.sender);
    if (sender) await this.webhooks.deliver(metaStatusWebhook(message, sender));
  }
}
