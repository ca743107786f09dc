// Leads from a CSV file, one row at a time: the file is never held in memory. The header row maps
// columns to lead fields (a few common spellings accepted); any other column goes to metadata.
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { DomainError, type FieldError } from "@parley/errors";
import { LeadFieldChecks } from "../domain/lead-input";
import { normalisePhone } from "../domain/phone";

export type LeadField = "name" | "business_name" | "phone" | "email" | "timezone";

const ALIASES: Record<string, LeadField> = {
  name: "name",
  full_name: "name",
  contact: "name",
  contact_name: "name",
  business_name: "business_name",
  business: "business_name",
  company: "business_name",
  company_name: "business_name",
  phone: "phone",
  phone_number: "phone",
  mobile: "phone",
  telephone: "phone",
  email: "email",
  email_address: "email",
  timezone: "timezone",
  time_zone: "timezone",
  tz: "timezone",
};

/** `Phone Number` → `phone_number`: how headers are matched, and the metadata keys of other columns. */
export const headerKey = (header: string) =>
  header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");

export interface ImportedLead {
  phone: string;
  name?: string;
  email?: string;
  businessName?: string;
  timezone?: string;
  metadata: Record<string, string>;
}

/** One data row: its line in the file (the header is line 1), and the lead or what is wrong with it. */
export type CsvRow = { row: number; lead: ImportedLead } | { row: number; errors: FieldError[] } | { row: number; duplicateOf: number };

export class CsvHeaderError extends DomainError {
  readonly kind = "invalid_argument";
}

export interface CsvRowsOptions {
  /** For national numbers without a +country code. */
  defaultCountry?: string;
  /** Header name → lead field or `metadata`, overriding the automatic match. */
  mapping?: Record<string, LeadField | "metadata">;
}

function columnsOf(headers: string[], mapping: CsvRowsOptions["mapping"] = {}): (LeadField | { metadata: string })[] {
  const byKey = Object.fromEntries(Object.entries(mapping).map(([h, f]) => [headerKey(h), f]));
  const columns = headers.map((h) => {
    const key = headerKey(h);
    const field = byKey[key] ?? ALIASES[key];
    return field && field !== "metadata" ? field : { metadata: key || "column" };
  });
  const fields = columns.filter((c): c is LeadField => typeof c === "string");
  if (!fields.includes("phone")) throw new CsvHeaderError("the CSV has no phone column", { headers, accepted: Object.keys(ALIASES).filter((k) => ALIASES[k] === "phone") });
  const repeated = fields.find((f, i) => fields.indexOf(f) !== i);
  if (repeated) throw new CsvHeaderError(`two columns map to ${repeated}`, { field: repeated });
  return columns;
}

/**
 * Parses, validates and de-duplicates (by E.164 phone, within the file) as the bytes arrive.
 * Duplicates of existing leads are the caller's to find: it knows the workspace.
 */
export async function* csvRows(input: Readable, options: CsvRowsOptions = {}): AsyncGenerator<CsvRow> {
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, info: true }));
  let columns: (LeadField | { metadata: string })[] | undefined;
  const firstLineOf = new Map<string, number>();
  for await (const record of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!columns) {
      columns = columnsOf(record.record, options.mapping);
      continue;
    }
    const row = record.info.lines;
    const values: Partial<Record<LeadField, string>> = {};
    const metadata: Record<string, string> = {};
    record.record.forEach((value, i) => {
      const column = columns![i];
      if (!column || value === "") return;
      if (typeof column === "string") values[column] = value;
      else metadata[column.metadata] = value;
    });
    const checks = new LeadFieldChecks();
    let phone = "";
    if (!values.phone) checks.errors.push({ path: "phone", message: "is required" });
    else {
      try {
        phone = normalisePhone(values.phone, options.defaultCountry);
      } catch (err) {
        checks.errors.push(...((err as { errors?: FieldError[] }).errors ?? [{ path: "phone", message: "not a valid phone number" }]));
      }
    }
    const lead: ImportedLead = {
      phone,
      name: checks.text("name", values.name, 200),
      businessName: checks.text("business_name", values.business_name, 200),
      email: checks.email(values.email),
      timezone: checks.timezone(values.timezone),
      metadata,
    };
    if (checks.errors.length) {
      yield { row, errors: checks.errors };
      continue;
    }
    const first = firstLineOf.get(phone);
    if (first !== undefined) {
      yield { row, duplicateOf: first };
      continue;
    }
    firstLineOf.set(phone, row);
    yield { row, lead };
  }
}
