export type WhatsAppProvider = "twilio" | "meta";

export interface TwilioSender {
  provider: "twilio";
  account_sid: string;
  auth_token: string;
  /** The business number (E.164). */
  number: string;
}

export interface MetaSender {
  provider: "meta";
  phone_number_id: string;
  display_phone_number: string;
  app_secret: string;
  business_account_id: string;
}

export type WhatsAppSender = TwilioSender | MetaSender;

/** A sender as the control API shows it: the secrets stay inside the simulator. */
export function publicView(sender: WhatsAppSender) {
  if (sender.provider === "twilio") return { provider: sender.provider, account_sid: sender.account_sid, number: sender.number };
  const { app_secret: _secret, ...rest } = sender;
  return rest;
}

/**
 * The business numbers the simulator can sign for. A Twilio account has one auth token for all of
 * its numbers, so a token learned from any of them signs the webhooks of every one.
 */
export class WhatsAppAccounts {
  private readonly twilioTokens = new Map<string, string>();
  private readonly twilioAccountOfNumber = new Map<string, string>();
  private readonly metaSenders = new Map<string, MetaSender>();

  registerTwilio(accountSid: string, authToken: string, number: string): TwilioSender {
    this.twilioTokens.set(accountSid, authToken);
    this.twilioAccountOfNumber.set(number, accountSid);
    return { provider: "twilio", account_sid: accountSid, auth_token: authToken, number };
  }

  /** Without a business account id the number gets one of its own, so its templates have an owner. */
  registerMeta(input: Omit<MetaSender, "provider" | "business_account_id"> & { business_account_id?: string | undefined }): MetaSender {
    const sender: MetaSender = { provider: "meta", ...input, business_account_id: input.business_account_id ?? `waba-${input.phone_number_id}` };
    // A number belongs to one phone number id: an older registration of it would shadow inbound routing.
    for (const [id, other] of this.metaSenders) if (other.display_phone_number === sender.display_phone_number) this.metaSenders.delete(id);
    this.metaSenders.set(sender.phone_number_id, sender);
    return sender;
  }

  twilioToken(accountSid: string): string | undefined {
    return this.twilioTokens.get(accountSid);
  }

  meta(phoneNumberId: string): MetaSender | undefined {
    return this.metaSenders.get(phoneNumberId);
  }

  hasMetaBusinessAccount(businessAccountId: string): boolean {
    return [...this.metaSenders.values()].some((s) => s.business_account_id === businessAccountId);
  }

  /** The business account that a Meta phone number id or business account id names, if it is registered. */
  metaBusinessAccount(id: string): string | undefined {
    return this.metaSenders.get(id)?.business_account_id ?? (this.hasMetaBusinessAccount(id) ? id : undefined);
  }

  byNumber(provider: WhatsAppProvider, number: string): WhatsAppSender | undefined {
    if (provider === "meta") return [...this.metaSenders.values()].find((s) => s.display_phone_number === number);
    const accountSid = this.twilioAccountOfNumber.get(number);
    const authToken = accountSid && this.twilioTokens.get(accountSid);
    return accountSid && authToken ? { provider, account_sid: accountSid, auth_token: authToken, number } : undefined;
  }

  list(): WhatsAppSender[] {
    const twilio = [...this.twilioAccountOfNumber.keys()].flatMap((number) => this.byNumber("twilio", number) ?? []);
    return [...twilio, ...this.metaSenders.values()];
  }

  reset(): void {
    this.twilioTokens.clear();
    this.twilioAccountOfNumber.clear();
    this.metaSenders.clear();
  }
}
