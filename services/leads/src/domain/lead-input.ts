import { z } from "zod";
import { ValidationError, type FieldError } from "@parley/errors";
import { isTimeZone } from "./workspace-settings";

export const LEAD_STATUSES = [
  "new",
  "contacted",
  "in_progress",
  "qualified",
  "meeting_booked",
  "not_interested",
  "do_not_call",
  "unreachable",
  "converted",
] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

const MAX_JSON_BYTES = 16 * 1024;
// Built once: a schema per call costs more than the check itself, and imports check every row.
const emailSchema = z.email();

/** Field-level checks shared by create and update; each failure names its snake_case field. */
export class LeadFieldChecks {
  readonly errors: FieldError[] = [];

  text(field: string, value: string | undefined, max: number): string | undefined {
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    if (trimmed.length > max) this.errors.push({ path: field, message: `at most ${max} characters` });
    return trimmed === "" ? undefined : trimmed;
  }

  email(value: string | undefined): string | undefined {
    const v = this.text("email", value, 320);
    if (v !== undefined && !emailSchema.safeParse(v).success) this.errors.push({ path: "email", message: "not a valid email address" });
    return v?.toLowerCase();
  }

  timezone(value: string | undefined): string | undefined {
    const v = this.text("timezone", value, 64);
    if (v !== undefined && !isTimeZone(v)) this.errors.push({ path: "timezone", message: "not an IANA time zone (e.g. America/New_York)" });
    return v;
  }

  status(value: string | undefined): LeadStatus | undefined {
    if (value === undefined) return undefined;
    if (!(LEAD_STATUSES as readonly string[]).includes(value)) {
      this.errors.push({ path: "status", message: `one of ${LEAD_STATUSES.join(", ")}` });
      return undefined;
    }
    return value as LeadStatus;
  }

  tags(values: string[]): string[] {
    const tags = [...new Set(values.map((t) => t.trim().toLowerCase()).filter(Boolean))];
    if (tags.length > 50) this.errors.push({ path: "tags", message: "at most 50 tags" });
    tags.forEach((t, i) => {
      if (t.length > 50) this.errors.push({ path: `tags.${i}`, message: "at most 50 characters" });
    });
    return tags;
  }

  json(field: string, value: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    if (value === undefined) return undefined;
    if (Buffer.byteLength(JSON.stringify(value)) > MAX_JSON_BYTES)
      this.errors.push({ path: field, message: `at most ${MAX_JSON_BYTES} bytes of JSON` });
    return value;
  }

  throwIfAny(): void {
    if (this.errors.length) throw new ValidationError("invalid lead", this.errors);
  }
}
