import type { TwilioSender } from "./accounts";
import type { InboundText, SendRefusal, WaMessage } from "./messages";
import { digitsOf, toWhatsAppAddress } from "./numbers";
import { twilioSignature } from "./signing";
import { placeholders, type WaTemplate } from "./templates";
import type { WebhookDelivery } from "./webhook-dispatcher";

/** Twilio's JSON shapes: message resources, content templates, errors, and its form-encoded webhooks. */

export const API_VERSION = "2010-04-01";

export interface TwilioError {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export const twilioError = (status: number, code: number, message: string): TwilioError => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export const TWILIO_REFUSALS: Record<SendRefusal, TwilioError> = {
  rate_limited: twilioError(429, 20429, "Too Many Requests"),
  unavailable: twilioError(500, 20500, "Internal Server Error"),
  unsubscribed: twilioError(400, 21610, "Attempt to send to unsubscribed recipient"),
  unknown_template: twilioError(400, 21655, "The ContentSid is invalid"),
  // Twilio accepts such a send and fails it later; the simulator refuses it at once so the adapter
  // sees the cause. 63041 is the simulator's pick from Twilio's WhatsApp-template error range, not
  // confirmed against Twilio's error catalogue; pending, rejected and paused templates share it.
  template_not_approved: twilioError(400, 63041, "The WhatsApp template is not approved and cannot be sent"),
};

const WINDOW_CLOSED_MESSAGE = "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.";

/** Twilio dates are RFC 2822 with a numeric zone: `Thu, 24 Aug 2023 05:01:45 +0000`. */
const rfc2822 = (date: Date) => date.toUTCString().replace("GMT", "+0000");

export function twilioMessage(message: WaMessage) {
  const uri = `/${API_VERSION}/Accounts/${message.sender}/Messages/${message.id}.json`;
  return {
    account_sid: message.sender,
    api_version: API_VERSION,
    body: message.text,
    date_created: rfc2822(message.createdAt),
    date_sent: message.sentAt ? rfc2822(message.sentAt) : null,
    date_updated: rfc2822(message.updatedAt),
    direction: "outbound-api",
    error_code: message.errorCode,
    error_message: message.errorCode === null ? null : WINDOW_CLOSED_MESSAGE,
    from: toWhatsAppAddress(message.from),
    messaging_service_sid: null,
    num_media: "0",
    num_segments: "1",
    price: null,
    price_unit: "USD",
    sid: message.id,
    status: message.status,
    subresource_uris: { media: uri.replace(/\.json$/, "/Media.json") },
    to: toWhatsAppAddress(message.to),
    uri,
  };
}

/** One entry of `GET /v1/ContentAndApprovals`. */
export function twilioContent(template: WaTemplate, accountSid: string, baseUrl: string) {
  return {
    sid: template.id,
    account_sid: accountSid,
    friendly_name: template.name,
    language: template.language,
    variables: Object.fromEntries(placeholders(template.body).map((n) => [n, `sample_${n}`])),
    types: { "twilio/text": { body: template.body } },
    url: `${baseUrl}/v1/Content/${template.id}`,
    date_created: template.createdAt.toISOString(),
    date_updated: template.updatedAt.toISOString(),
    approval_requests: {
      name: template.name,
      category: template.category.toLowerCase(),
      content_type: "twilio/text",
      status: template.status,
      rejection_reason: template.rejectionReason,
      allow_category_change: false,
    },
  };
}

function formDelivery(kind: WebhookDelivery["kind"], messageId: string, url: string, authToken: string, params: Record<string, string>): WebhookDelivery {
  return {
    provider: "twilio",
    kind,
    messageId,
    url,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(authToken, url, params) },
    body: new URLSearchParams(params).toString(),
  };
}

export function twilioStatusCallback(message: WaMessage, authToken: string): WebhookDelivery {
  const params: Record<string, string> = {
    MessageSid: message.id,
    SmsSid: message.id,
    MessageStatus: message.status,
    SmsStatus: message.status,
    AccountSid: message.sender,
    From: toWhatsAppAddress(message.from),
    To: toWhatsAppAddress(message.to),
    ChannelPrefix: "whatsapp",
    ApiVersion: API_VERSION,
    ...(message.errorCode === null ? {} : { ErrorCode: String(message.errorCode), ErrorMessage: WINDOW_CLOSED_MESSAGE }),
  };
  return formDelivery("status", message.id, message.statusCallback, authToken, params);
}

export function twilioInbound(sender: TwilioSender, inbound: InboundText, url: string): WebhookDelivery {
  const params = {
    MessageSid: inbound.messageId,
    SmsMessageSid: inbound.messageId,
    SmsSid: inbound.messageId,
    AccountSid: sender.account_sid,
    From: toWhatsAppAddress(inbound.customer),
    To: toWhatsAppAddress(sender.number),
    Body: inbound.text,
    NumMedia: "0",
    NumSegments: "1",
    MessageType: "text",
    ProfileName: inbound.profileName,
    WaId: digitsOf(inbound.customer),
    SmsStatus: "received",
    ApiVersion: API_VERSION,
  };
  return formDelivery("inbound", inbound.messageId, url, sender.auth_token, params);
}
