// WhatsApp test fixtures shared by the gateway's WhatsApp test files.
import assert from "node:assert/strict";
import type { TestStack } from "./test-stack";

export type MessagingProvider = "twilio" | "meta";

export interface TwilioSender {
  provider: "twilio";
  number: string;
  credentials: { account_sid: string; auth_token: string; whatsapp_from: string };
}

export interface MetaSender {
  provider: "meta";
  number: string;
  credentials: { access_token: string; phone_number_id: string; app_secret: string; verify_token: string };
}

let senders = 0;

/** Gives the workspace its own WhatsApp sender on `provider`, known to the simulator. */
export async function addWhatsAppSender(stack: TestStack, key: string, provider: "twilio"): Promise<TwilioSender>;
export async function addWhatsAppSender(stack: TestStack, key: string, provider: "meta"): Promise<MetaSender>;
export async function addWhatsAppSender(stack: TestStack, key: string, provider: MessagingProvider): Promise<TwilioSender | MetaSender>;
export async function addWhatsAppSender(stack: TestStack, key: string, provider: MessagingProvider): Promise<TwilioSender | MetaSender> {
  const n = ++senders;
  const number = `+1415555${String(1000 + n).padStart(4, "0")}`;
  const sender: TwilioSender | MetaSender =
    provider === "twilio"
      ? { provider, number, credentials: { account_sid: `AC${String(n).padStart(32, "0")}`, auth_token: `tw-token-${n}`, whatsapp_from: number } }
      : { provider, number, credentials: { access_token: `EAAG-${n}`, phone_number_id: `10${n}00`, app_secret: `app-secret-${n}`, verify_token: `verify-${n}` } };
  const put = await stack.call("PUT", provider === "twilio" ? "/v1/integrations/twilio" : "/v1/integrations/meta_whatsapp", { token: key, body: sender.credentials });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await registerWithSimulator(stack, sender);
  return sender;
}

/** The simulator forgets accounts on reset: a test that resets it registers its senders again. */
export async function registerWithSimulator(stack: TestStack, sender: TwilioSender | MetaSender): Promise<void> {
  if (sender.provider === "twilio") {
    await stack.simPost("/_sim/whatsapp/accounts", { provider: "twilio", account_sid: sender.credentials.account_sid, auth_token: sender.credentials.auth_token, number: sender.number });
  } else {
    await stack.simPost("/_sim/whatsapp/accounts", { provider: "meta", phone_number_id: sender.credentials.phone_number_id, display_phone_number: sender.number, app_secret: sender.credentials.app_secret });
  }
}

export interface DeliveredMessage {
  kind: string;
  template: string | null;
  text: string;
  status: string;
  error_code: string | null;
}

/** What the simulator delivered to a number, in send order. */
export const outboxOf = async (stack: TestStack, to: string): Promise<DeliveredMessage[]> => (await stack.simGet(`/_sim/whatsapp/outbox?to=${encodeURIComponent(to)}`)).data;

export interface ParleyMessage {
  id: string;
  direction: string;
  origin: string;
  text: string;
  status: string;
  error_code: string | null;
  template: { name: string } | null;
}

/** The lead's conversation's messages through the API; none while it has no conversation. */
export async function messagesOf(stack: TestStack, key: string, leadId: string): Promise<ParleyMessage[]> {
  const conversations = await stack.call("GET", `/v1/conversations?lead_id=${leadId}`, { token: key });
  assert.equal(conversations.status, 200, JSON.stringify(conversations.body));
  if (!conversations.body.data.length) return [];
  const messages = await stack.call("GET", `/v1/conversations/${conversations.body.data[0].id}/messages`, { token: key });
  assert.equal(messages.status, 200, JSON.stringify(messages.body));
  return messages.body.data;
}
