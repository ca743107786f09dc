import { isObject, str, type Json } from "../voice/wire";
import { DAY_MS, SLOT_MINUTES, type BookingRequest, type CalcomAttendee } from "./calendar";

const MAX_SLOTS_RANGE_DAYS = 31;
const MIN_LENGTH_MINUTES = 15;
const MAX_LENGTH_MINUTES = 240;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

type Parsed<T> = { value: T } | { error: string };

/** Midnight UTC of a calendar date, or undefined for a malformed or impossible one (2025-02-30). */
function parseDate(text: string): number | undefined {
  if (!DATE_ONLY.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
}

/** Cal.com wants UTC, so a date-time without an offset is read as UTC rather than the simulator's local time. */
function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (!match?.[1] || parseDate(match[1]) === undefined) return undefined;
  const ms = Date.parse(match[4] ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Intl knows the IANA names and throws a RangeError for any other. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function positiveInteger(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export interface SlotsQuery {
  eventTypeId: number;
  fromMs: number;
  toMs: number;
}

/** `GET /v2/slots` (2024-09-04): a date-only `start` means that day's start, a date-only `end` that day's end. */
export function slotsQuery(query: Json): Parsed<SlotsQuery> {
  const eventTypeId = positiveInteger(query.eventTypeId);
  if (eventTypeId === undefined) return { error: "eventTypeId must be a positive integer" };
  const start = str(query.start);
  const end = str(query.end);
  const fromMs = parseDate(start) ?? parseDateTime(start);
  if (fromMs === undefined) return { error: "start must be a valid ISO 8601 date string" };
  const endDay = parseDate(end);
  const toMs = endDay === undefined ? parseDateTime(end) : endDay + DAY_MS;
  if (toMs === undefined) return { error: "end must be a valid ISO 8601 date string" };
  if (toMs <= fromMs) return { error: "end must be after start" };
  if (toMs - fromMs > MAX_SLOTS_RANGE_DAYS * DAY_MS) return { error: `The range between start and end cannot exceed ${MAX_SLOTS_RANGE_DAYS} days` };
  if (query.timeZone !== undefined && !isTimeZone(str(query.timeZone))) return { error: "timeZone must be a valid IANA time zone" };
  return { value: { eventTypeId, fromMs, toMs } };
}

function attendee(value: unknown): Parsed<CalcomAttendee> {
  if (!isObject(value)) return { error: "attendee must be an object" };
  const { name, email, timeZone, phoneNumber, language } = value;
  if (typeof name !== "string" || name.trim() === "") return { error: "attendee.name must be a non-empty string" };
  if (typeof email !== "string" || !EMAIL.test(email)) return { error: "attendee.email must be an email" };
  if (typeof timeZone !== "string" || !isTimeZone(timeZone)) return { error: "attendee.timeZone must be a valid IANA time zone" };
  if (phoneNumber !== undefined && (typeof phoneNumber !== "string" || !E164.test(phoneNumber))) return { error: "attendee.phoneNumber must be a valid phone number in E.164 format" };
  if (language !== undefined && (typeof language !== "string" || language === "")) return { error: "attendee.language must be a non-empty string" };
  return { value: { name, email, timeZone, ...(phoneNumber === undefined ? {} : { phoneNumber }), language: language ?? "en" } };
}

/** `POST /v2/bookings` (2024-08-13); the first broken rule is reported, naming its field. */
export function bookingRequest(body: unknown): Parsed<BookingRequest> {
  const fields = isObject(body) ? body : {};
  const startMs = typeof fields.start === "string" ? parseDateTime(fields.start) : undefined;
  if (startMs === undefined) return { error: "start must be a valid ISO 8601 date-time string in UTC" };
  const eventTypeId = typeof fields.eventTypeId === "number" ? positiveInteger(fields.eventTypeId) : undefined;
  if (eventTypeId === undefined) return { error: "eventTypeId must be a positive integer" };
  const guest = attendee(fields.attendee);
  if ("error" in guest) return guest;
  const lengthInMinutes = fields.lengthInMinutes ?? SLOT_MINUTES;
  if (typeof lengthInMinutes !== "number" || !Number.isInteger(lengthInMinutes) || lengthInMinutes < MIN_LENGTH_MINUTES || lengthInMinutes > MAX_LENGTH_MINUTES) {
    return { error: `lengthInMinutes must be an integer from ${MIN_LENGTH_MINUTES} to ${MAX_LENGTH_MINUTES}` };
  }
  const metadata = fields.metadata ?? {};
  if (!isObject(metadata)) return { error: "metadata must be an object" };
  if (fields.bookingFieldsResponses !== undefined && !isObject(fields.bookingFieldsResponses)) return { error: "bookingFieldsResponses must be an object" };
  return { value: { startMs, eventTypeId, lengthInMinutes, attendee: guest.value, metadata } };
}
