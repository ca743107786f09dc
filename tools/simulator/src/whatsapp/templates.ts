import type { WhatsAppProvider } from "./accounts";
import { graphId, twilioSid } from "./ids";

export const TEMPLATE_STATUSES = ["approved", "pending", "rejected", "paused"] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];
export const TEMPLATE_CATEGORIES = ["UTILITY", "MARKETING", "AUTHENTICATION"] as const;
export type TemplateCategory = (typeof TEMPLATE_CATEGORIES)[number];

export interface WaTemplate {
  /** Twilio: the content sid (HX…); Meta: the template's Graph id. */
  id: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  /** Text with positional placeholders: `{{1}}`, `{{2}}`… */
  body: string;
  rejectionReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export type TemplateInput = Pick<WaTemplate, "name" | "language" | "category" | "status" | "body"> & { rejectionReason?: string | undefined };

/** Who owns templates: a Twilio account (its sid) or a Meta WhatsApp Business Account (its id). */
export interface TemplateOwner {
  provider: WhatsAppProvider;
  id: string;
}

// Parley's own templates, approved on every sandbox account so a campaign can open conversations at once.
const STARTER_TEMPLATES: TemplateInput[] = [
  { name: "parley_followup", language: "en", category: "UTILITY", status: "approved", body: "Hi {{1}}, sorry we missed you. Can we help by message?" },
  { name: "parley_hello", language: "en", category: "MARKETING", status: "approved", body: "Hi {{1}}, thanks for your interest in {{2}}." },
];

const PLACEHOLDER = /\{\{(\d+)\}\}/g;

/** The placeholder numbers in a body, in order of first use: `["1", "2"]`. */
export const placeholders = (body: string) => [...new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]!))];

/** A placeholder without a value stays visible, so a send that forgot one shows it in the outbox. */
export const renderTemplate = (body: string, variables: Record<string, string>) => body.replace(PLACEHOLDER, (whole, n: string) => variables[n] ?? whole);

export class TemplateStore {
  private readonly byOwner = new Map<string, WaTemplate[]>();

  list(owner: TemplateOwner): readonly WaTemplate[] {
    return this.templatesOf(owner);
  }

  /** A template with the same name and language is replaced in place, keeping its id. */
  upsert(owner: TemplateOwner, input: TemplateInput): WaTemplate {
    const templates = this.templatesOf(owner);
    const existing = templates.find((t) => t.name === input.name && t.language === input.language);
    const now = new Date();
    const fields = { ...input, rejectionReason: input.rejectionReason ?? "" };
    if (existing) return Object.assign(existing, fields, { updatedAt: now });
    const template: WaTemplate = { id: owner.provider === "twilio" ? twilioSid("HX") : graphId(), ...fields, createdAt: now, updatedAt: now };
    templates.push(template);
    return template;
  }

  byId(owner: TemplateOwner, id: string): WaTemplate | undefined {
    return this.templatesOf(owner).find((t) => t.id === id);
  }

  byName(owner: TemplateOwner, name: string, language: string): WaTemplate | undefined {
    return this.templatesOf(owner).find((t) => t.name === name && t.language === language);
  }

  reset(): void {
    this.byOwner.clear();
  }

  private templatesOf(owner: TemplateOwner): WaTemplate[] {
    const key = `${owner.provider}:${owner.id}`;
    let templates = this.byOwner.get(key);
    if (!templates) {
      templates = [];
      this.byOwner.set(key, templates);
      for (const starter of STARTER_TEMPLATES) this.upsert(owner, starter);
    }
    return templates;
  }
}
