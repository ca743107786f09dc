// Leads from a CSV file, one row at a time: the file is never held in memory. The header row maps
// columns to lead fields (a few common spellings accepted); any other column goes to metadata.
import { pipeline, type Readable } from "node:stream";
import { CsvError, parse, type Parser } from "csv-parse";
import { ValidationError, type FieldError } from "@parley/errors";
import { LeadFieldChecks } from "../domain/lead-input";
import { normalisePhone } from "../domain/phone";

export type LeadField = "name" | "business_name" | "phone" | "email" | "timezone";
/** What a mapping may send a column to. */
export const MAPPING_TARGETS = ["phone", "name", "email", "business_name", "timezone", "metadata"] as const;
export type MappingTarget = (typeof MAPPING_TARGETS)[number];

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

/** The header row cannot be used (no phone column, two columns for one field): no row can be read. */
export class CsvHeaderError extends ValidationError {
  constructor(message: string, hint: string) {
    super(message, [{ path: "file.header", message: hint }]);
  }
}

/** The file is not CSV from some line on (an unclosed quote…): the rows before it are still good. */
export class CsvFormatError extends ValidationError {
  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`, [{ path: "file", message: `line ${line}: ${reason}` }]);
  }
}

export interface CsvRowsOptions {
  /** For national numbers without a +country code. */
  defaultCountry?: string;
  /** Header name → lead field or `metadata`, overriding the automatic match. */
  mapping?: Record<string, MappingTarget>;
}

function columnsOf(headers: string[], mapping: CsvRowsOptions["mapping"] = {}): (LeadField | { metadata: string })[] {
  const present = new Set(headers.map(headerKey));
  const absent = Object.keys(mapping).filter((h) => !present.has(headerKey(h)));
  // A mapped column that is not there is a typo, and it usually explains the errors that would follow.
  if (absent.length) throw new CsvHeaderError("the mapping names columns the CSV does not have", `not in the header: ${absent.join(", ")}; found ${headers.join(", ")}`);
  const byKey = Object.fromEntries(Object.entries(mapping).map(([h, f]) => [headerKey(h), f]));
  const columns = headers.map((h) => {
    const key = headerKey(h);
    const field = byKey[key] ?? ALIASES[key];
    return field && field !== "metadata" ? field : { metadata: key || "column" };
  });
  const fields = columns.filter((c): c is LeadField => typeof c === "string");
  if (!fields.includes("phone")) {
    const accepted = Object.keys(ALIASES).filter((k) => ALIASES[k] === "phone");
    throw new CsvHeaderError("the CSV has no phone column", `name the phone column ${accepted.join(", ")}, or map it (mapping[<header>]=phone); found ${headers.join(", ") || "no columns"}`);
  }
  const repeated = fields.find((f, i) => fields.indexOf(f) !== i);
  if (repeated) throw new CsvHeaderError(`two columns map to ${repeated}`, `map one of them to metadata (mapping[<header>]=metadata)`);
  return columns;
}

/**
 * Parses, validates and de-duplicates (by E.164 phone, within the file) as the bytes arrive.
 * Duplicates of existing leads are the caller's to find: it knows the workspace.
 */
export async function* csvRows(input: Readable, options: CsvRowsOptions = {}): AsyncGenerator<CsvRow> {
  // relax_quotes: a stray quote inside an unquoted field (`27" monitor`) is data, not a broken file.
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true, trim: true, info: true });
  // pipeline, not pipe: a failing source fails the parse instead of leaving it waiting for bytes.
  pipeline(input, parser, () => undefined);
  let columns: (LeadField | { metadata: string })[] | undefined;
  const firstLineOf = new Map<string, number>();
  for await (const record of recordsThenError<{ record: string[]; info: { lines: number } }>(parser)) {
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
    checks.json("metadata", metadata);
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
  if (!columns) throw new CsvHeaderError("the CSV is empty", "the first line must name the columns (phone, name, email…)");
}

const QUEUED_RECORDS = 1000;

/**
 * The parser's records in file order, then its error. A for-await over the stream would drop the
 * records parsed but not yet read when a syntax error comes, and the rows before a break must count.
 */
async function* recordsThenError<T>(parser: Parser): AsyncGenerator<T> {
  let queue: T[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  parser.on("data", (record: T) => {
    queue.push(record);
    if (queue.length >= QUEUED_RECORDS) parser.pause();
    notify();
  });
  parser.on("error", (err) => {
    failure = err instanceof CsvError ? new CsvFormatError(Number(err.lines ?? 0), err.message) : err;
    notify();
  });
  parser.on("end", () => {
    ended = true;
    notify();
  });
  try {
    for (;;) {
      const ready = queue;
      queue = [];
      yield* ready;
      if (failure) throw failure;
      if (ended) return;
      if (queue.length) continue;
      parser.resume();
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    parser.destroy();
  }
}
