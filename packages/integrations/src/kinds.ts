import { z } from "zod";

const secret = z.string().trim().min(1, "is required").max(4096);
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number, e.g. +14155550100");

/** The credentials of each integration kind (SIMULATOR.md, "Integration bodies"); unknown fields are refused. */
export const INTEGRATION_SCHEMAS = {
  vapi: z.strictObject({ api_key: secret, phone_number_id: secret, webhook_secret: secret }),
  bolna: z.strictObject({ api_key: secret, webhook_secret: secret.optional(), from_number: e164.optional() }),
  retell: z.strictObject({ api_key: secret, from_number: e164 }),
  twilio: z.strictObject({
    account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "must be a Twilio Account SID (AC followed by 32 hex digits)"),
    auth_token: secret,
    whatsapp_from: e164,
    voice_from: e164.optional(),
  }),
  meta_whatsapp: z.strictObject({ access_token: secret, phone_number_id: secret, app_secret: secret, verify_token: secret, business_account_id: secret.optional() }),
  openai: z.strictObject({ api_key: secret, model: z.string().min(1).max(100).default("gpt-4o-mini") }),
  calcom: z.strictObject({ api_key: secret, event_type_id: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(Number) }),
} as const;

export type IntegrationKind = keyof typeof INTEGRATION_SCHEMAS;
export const INTEGRATION_KINDS = Object.keys(INTEGRATION_SCHEMAS) as IntegrationKind[];
export type Credentials<K extends IntegrationKind> = z.infer<(typeof INTEGRATION_SCHEMAS)[K]>;

export type IntegrationOwner = "voice" | "whatsapp" | "analytics";

/**
 * Which services keep (and alone decrypt) each kind's credentials. OpenAI's key is used by two:
 * the WhatsApp agent and the post-call analysis; each keeps its own sealed copy.
 */
export const INTEGRATION_OWNERS: Record<IntegrationKind, readonly IntegrationOwner[]> = {
  vapi: ["voice"],
  bolna: ["voice"],
  retell: ["voice"],
  calcom: ["voice"],
  twilio: ["whatsapp"],
  meta_whatsapp: ["whatsapp"],
  openai: ["whatsapp", "analytics"],
};

export function isIntegrationKind(kind: string): kind is IntegrationKind {
  return Object.hasOwn(INTEGRATION_SCHEMAS, kind);
}
