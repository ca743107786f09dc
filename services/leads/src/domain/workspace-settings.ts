import { z } from "zod";
import { ValidationError } from "@parley/errors";

// Building a formatter to ask takes about 0.1 ms, a lot for an import checking every row; valid
// names are remembered (bounded: Intl also accepts every upper/lower-case spelling of a zone).
const knownTimeZones = new Set<string>();
const MAX_KNOWN_TIME_ZONES = 2000;

export function isTimeZone(value: string): boolean {
  if (knownTimeZones.has(value)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
  } catch {
    return false;
  }
  if (knownTimeZones.size < MAX_KNOWN_TIME_ZONES) knownTimeZones.add(value);
  return true;
}

const timeZone = z.string().refine(isTimeZone, "not an IANA time zone (e.g. Europe/Madrid)");
// 24:00 is accepted as an end, so "all day" is 00:00–24:00.
const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "expected HH:MM (24-hour; 24:00 as an end)");
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

const qualificationCriterion = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "lowercase letters, digits and _, starting with a letter"),
    question: z.string().min(1).max(500),
    type: z.enum(["boolean", "number", "enum", "text"]),
    options: z.array(z.string().min(1).max(100)).min(2).max(20).optional(),
  })
  .strict()
  .refine((c) => c.type !== "enum" || (c.options?.length ?? 0) >= 2, { message: "enum criteria need at least two options", path: ["options"] })
  .refine((c) => c.type === "enum" || c.options === undefined, { message: "options are only for enum criteria", path: ["options"] });

export const profileSchema = z
  .object({
    persona: z.string().max(4000).default(""),
    offer: z.string().max(4000).default(""),
    pricing: z.string().max(4000).default(""),
    business_name: z.string().max(200).optional(),
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, "a language tag such as en or en-US").default("en"),
    qualification: z
      .array(qualificationCriterion)
      .max(20)
      .default([])
      .refine((list) => new Set(list.map((c) => c.key)).size === list.length, "qualification keys must be unique"),
  })
  .strict();

export const settingsSchema = z
  .object({
    default_channel: z.enum(["voice", "whatsapp"]).default("voice"),
    default_country: z
      .string()
      .regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 country code, e.g. US")
      .optional(),
    calling_hours: z
      .object({ start: hhmm, end: hhmm })
      .strict()
      .refine((h) => h.start < h.end, "start must be before end")
      .default({ start: "09:00", end: "18:00" }),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .default(["mon", "tue", "wed", "thu", "fri"])
      .refine((d) => new Set(d).size === d.length, "days must not repeat"),
    retention_days: z.number().int().min(1).max(3650).default(365),
    max_concurrency: z.number().int().min(1).max(1000).default(5),
    auto_call_new_leads: z.boolean().default(false),
    auto_whatsapp_new_leads: z.boolean().default(false),
    // After a call that did not reach the lead, a WhatsApp template (once per lead and template).
    whatsapp_follow_up: z
      .object({
        template: z.object({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) }).strict(),
        on: z
          .array(z.enum(["no_answer", "voicemail", "busy"]))
          .min(1)
          .default(["no_answer", "voicemail"]),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;
export type Settings = z.infer<typeof settingsSchema>;
export { timeZone as timeZoneSchema };

/** Parses with a schema, turning zod issues into a ValidationError with snake_case paths under `prefix`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationError(
    `invalid ${prefix}`,
    result.error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String)].join("."),
      message: issue.message,
    })),
  );
}
