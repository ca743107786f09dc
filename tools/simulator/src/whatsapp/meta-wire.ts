import type { MetaSender } from "./accounts";
import { fbtraceId } from "./ids";
import type { InboundText, SendRefusal, WaMessage } from "./messages";
import { digitsOf } from "./numbers";
import { metaSignature } from "./signing";
import type { WaTemplate } from "./templates";
import type { WebhookDelivery } from "./webhook-dispatcher";

/** Graph API shapes: errors, message templates, and the webhook envelope of the WhatsApp Cloud API. */

export interface GraphError {
  status: number;
  body: {
    error: {
      message: string;
      type: string;
      code: number;
      error_subcode?: number;
      error_data?: { messaging_product: "whatsapp"; details: string };
      fbtrace_id: string;
    };
  };
}

export function graphError(status: number, code: number, message: string, details?: string): GraphError {
  const error_data = details === undefined ? {} : { error_data: { messaging_product: "whatsapp" as const, details } };
  return { status, body: { error: { message, type: "OAuthException", code, ...error_data, fbtrace_id: fbtraceId() } } };
}

export const noAccessToken = () => graphError(401, 104, "An access token is required to request this resource.");

/** Graph's answer for an id it does not know, for a POST or a GET. */
export function unknownObject(method: "post" | "get", id: string): GraphError {
  const error = graphError(
    400,
    100,
    `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
  );
  return { status: 400, body: { error: { ...error.body.error, type: "GraphMethodException", error_subcode: 33 } } };
}

export const invalidParameter = (details: string) => graphError(400, 100, "(#100) Invalid parameter", details);
export const missingParameter = (details: string) => graphError(400, 131008, "(#131008) Required parameter is missing", details);

const WINDOW_CLOSED_DETAILS = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";

export function metaRefusal(reason: SendRefusal, template?: { name: string; language: string }): GraphError {
  switch (reason) {
    case "rate_limited":
      return graphError(429, 130429, "(#130429) Rate limit hit", "Cloud API message throughput has been reached.");
    case "unavailable":
      return graphError(500, 131000, "(#131000) Something went wrong", "Message failed to send due to an unknown error.");
    case "unsubscribed":
      return graphError(400, 131050, "(#131050) Unable to deliver the message. This recipient has chosen to stop receiving messages on WhatsApp from your business.", "The recipient has stopped messages from this business.");
    // Meta answers a template it will not send, missing or not approved, as missing in that language.
    case "unknown_template":
    case "template_not_approved":
      return graphError(400, 132001, "(#132001) Template name does not exist in the translation", `template name (${template?.name}) does not exist in ${template?.language}`);
  }
}

export function metaTemplate(template: WaTemplate) {
  return {
    id: template.id,
    name: template.name,
    language: template.language,
    status: template.status.toUpperCase(),
    category: template.category,
    components: [{ type: "BODY", text: template.body }],
  };
}

const unixSeconds = (date: Date) => String(Math.floor(date.getTime() / 1000));

function envelope(sender: MetaSender, value: Record<string, unknown>) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: sender.business_account_id,
        changes: [
          {
            field: "messages",
            value: { messaging_product: "whatsapp", metadata: { display_phone_number: digitsOf(sender.display_phone_number), phone_number_id: sender.phone_number_id }, ...value },
          },
        ],
      },
    ],
  };
}

function jsonDelivery(kind: WebhookDelivery["kind"], messageId: string, url: string, sender: MetaSender, payload: unknown): WebhookDelivery {
  const body = JSON.stringify(payload);
  return { provider: "meta", kind, messageId, url, headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(sender.app_secret, body) }, body };
}

export function metaStatusWebhook(message: WaMessage, sender: MetaSender): WebhookDelivery {
  const failed = message.errorCode === null ? {} : { errors: [{ code: message.errorCode, title: "Re-engagement message", message: "Re-engagement message", error_data: { details: WINDOW_CLOSED_DETAILS } }] };
  const echoed = message.callbackData === null ? {} : { biz_opaque_callback_data: message.callbackData };
  const status = { id: message.id, status: message.status, timestamp: unixSeconds(message.updatedAt), recipient_id: digitsOf(message.to), ...echoed, ...failed };
  return jsonDelivery("status", message.id, message.statusCallback, sender, envelope(sender, { statuses: [status] }));
}

export function metaInbound(sender: MetaSender, inbound: InboundText, receivedAt: Date, url: string): WebhookDelivery {
  const waId = digitsOf(inbound.customer);
  const payload = envelope(sender, {
    contacts: [{ profile: { name: inbound.profileName }, wa_id: waId }],
    messages: [{ from: waId, id: inbound.messageId, timestamp: unixSeconds(receivedAt), type: "text", text: { body: inbound.text } }],
  });
  return jsonDelivery("inbound", inbound.messageId, url, sender, payload);
}
