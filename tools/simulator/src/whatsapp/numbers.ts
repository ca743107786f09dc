/** Phone numbers as the WhatsApp side stores them (E.164) and the test numbers that choose a behaviour. */

export const E164_PATTERN = "^\\+[1-9]\\d{6,14}$";
const E164 = new RegExp(E164_PATTERN);

export const isE164 = (value: string) => E164.test(value);

/** Meta and Twilio's WaId carry numbers as bare digits. */
export const digitsOf = (e164: string) => e164.replace(/^\+/, "");

/** `whatsapp:+14155550100` → `+14155550100`; anything else is not a WhatsApp address. */
export function fromWhatsAppAddress(address: string): string | undefined {
  const number = address.startsWith("whatsapp:") ? address.slice("whatsapp:".length) : "";
  return isE164(number) ? number : undefined;
}

export const toWhatsAppAddress = (e164: string) => `whatsapp:${e164}`;

export type RecipientScenario = "unsubscribed" | "free_text_fails" | "stuck_at_sent" | "normal";

/** SIMULATOR.md, WhatsApp test numbers: the recipient's last four digits. */
export function recipientScenario(to: string): RecipientScenario {
  if (to.endsWith("0201")) return "unsubscribed";
  if (to.endsWith("0202")) return "free_text_fails";
  if (to.endsWith("0203")) return "stuck_at_sent";
  return "normal";
}
