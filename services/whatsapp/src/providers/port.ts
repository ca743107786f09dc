// The one shape of a WhatsApp messaging provider, whatever the vendor: send a message, list the
// templates it may send, and the neutral form of what its webhooks report.

export type MessagingProviderKind = "twilio" | "meta";

/** Parley's delivery states; forward-only, so a late `sent` never undoes a `read`. */
export type DeliveryStatus = "queued" | "sent" | "delivered" | "read" | "failed";

export interface OutboundText {
  kind: "text";
  /** E.164. */
  to: string;
  text: string;
  /** Where Twilio posts this message's status callbacks; Meta sends statuses to the app's webhook and ignores it. */
  statusCallbackUrl?: string;
  /**
   * Echoed on this message's status webhooks where the provider supports it (Meta's
   * biz_opaque_callback_data, at most 512 characters); Twilio echoes statusCallbackUrl instead.
   */
  callbackData?: string;
}

export interface OutboundTemplate {
  kind: "template";
  /** E.164. */
  to: string;
  template: {
    name: string;
    language: string;
    /** Twilio's ContentSid (HX…); required to send a template through Twilio. */
    providerTemplateId?: string;
    /** Positional values for {{1}}, {{2}}, … */
    variables: string[];
  };
  statusCallbackUrl?: string;
  callbackData?: string;
}

export type OutboundMessage = OutboundText | OutboundTemplate;

export interface SendResult {
  providerMessageId: string;
  status: DeliveryStatus;
}

export interface ProviderTemplate {
  providerTemplateId: string;
  name: string;
  language: string;
  category: "MARKETING" | "UTILITY" | "AUTHENTICATION";
  status: "APPROVED" | "PENDING" | "REJECTED" | "PAUSED";
  body: string;
  variableCount: number;
}

export interface MessagingProvider {
  readonly kind: MessagingProviderKind;
  /**
   * Sends one message. Never retried inside the adapter: a retry could deliver twice. Throws
   * MessagingProviderError; its `retryable` says whether the caller may try again.
   */
  send(message: OutboundMessage): Promise<SendResult>;
  /** Every template of the account, whatever its approval state. */
  listTemplates(): Promise<ProviderTemplate[]>;
}

export interface InboundMessage {
  provider: MessagingProviderKind;
  providerMessageId: string;
  /** E.164. */
  from: string;
  /** The business number, E.164 (Meta: from `display_phone_number`). */
  to: string;
  /** Which sender received it: Twilio the business E.164, Meta the phone_number_id. */
  senderId: string;
  /** Empty for a message with media only. */
  text: string;
  profileName?: string;
  receivedAt: Date;
}

export interface StatusUpdate {
  provider: MessagingProviderKind;
  providerMessageId: string;
  status: DeliveryStatus;
  /** The provider's code, e.g. "63016" or "131047"; see statusErrorReason. */
  errorCode?: string;
  errorMessage?: string;
  /** E.164. */
  recipient?: string;
  /** The send's callbackData, where the provider echoes it (Meta). */
  callbackData?: string;
  at: Date;
}
