import { randomBytes } from "node:crypto";
import type { Json } from "../voice/wire";

const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const SLOT_MINUTES = 30;
const OPEN_HOUR_UTC = 9;
const CLOSE_HOUR_UTC = 17;
/** Every event type in the sandbox has this name, whatever length a booking asks for. */
const EVENT_TYPE_TITLE = "30 min meeting";
/** The one event type id the sandbox lacks, so clients can exercise their not-found handling. */
const MISSING_EVENT_TYPE_ID = 404;

const HOST = { id: 1, name: "Sim Host", email: "host@sim.cal.com", timeZone: "UTC" };

export interface CalcomAttendee {
  name: string;
  email: string;
  timeZone: string;
  phoneNumber?: string;
  language: string;
}

/** A booking in Cal.com's API v2 (2024-08-13) shape, so it is sent as stored. */
export interface CalcomBooking {
  id: number;
  uid: string;
  title: string;
  status: "accepted" | "cancelled";
  start: string;
  end: string;
  duration: number;
  eventTypeId: number;
  attendees: CalcomAttendee[];
  hosts: (typeof HOST)[];
  metadata: Json;
  createdAt: string;
  location: string;
  meetingUrl: string;
  cancellationReason?: string;
}

export interface BookingRequest {
  startMs: number;
  eventTypeId: number;
  lengthInMinutes: number;
  attendee: CalcomAttendee;
  metadata: Json;
}

export type CancelResult = { kind: "cancelled"; booking: CalcomBooking } | { kind: "unknown" } | { kind: "already_cancelled" };

/** Free slot starts (ISO, UTC) grouped by UTC day, days ascending; days without a free slot are left out. */
export type SlotsByDay = Record<string, { start: string }[]>;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function withinWorkingHours(startMs: number, endMs: number): boolean {
  const weekday = new Date(startMs).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const midnight = Math.floor(startMs / DAY_MS) * DAY_MS;
  return startMs >= midnight + OPEN_HOUR_UTC * 60 * MINUTE_MS && endMs <= midnight + CLOSE_HOUR_UTC * 60 * MINUTE_MS;
}

/** Cal.com's bookings and availability for the sandbox account: every event type open Monday–Friday, 09:00–17:00 UTC. */
export class CalcomCalendar {
  private readonly bookings = new Map<string, CalcomBooking>();
  private lastId = 0;

  hasEventType(eventTypeId: number): boolean {
    return eventTypeId !== MISSING_EVENT_TYPE_ID;
  }

  private overlapsAccepted(eventTypeId: number, startMs: number, endMs: number): boolean {
    for (const booking of this.bookings.values()) {
      if (booking.status !== "accepted" || booking.eventTypeId !== eventTypeId) continue;
      if (startMs < Date.parse(booking.end) && Date.parse(booking.start) < endMs) return true;
    }
    return false;
  }

  private isFree(eventTypeId: number, startMs: number, endMs: number, nowMs: number): boolean {
    return startMs > nowMs && withinWorkingHours(startMs, endMs) && !this.overlapsAccepted(eventTypeId, startMs, endMs);
  }

  /** Every free slot whose start is in [fromMs, toMs). */
  freeSlots(eventTypeId: number, fromMs: number, toMs: number, nowMs = Date.now()): SlotsByDay {
    const slots: SlotsByDay = {};
    const slotMs = SLOT_MINUTES * MINUTE_MS;
    for (let midnight = Math.floor(fromMs / DAY_MS) * DAY_MS; midnight < toMs; midnight += DAY_MS) {
      const free: { start: string }[] = [];
      for (let start = midnight + OPEN_HOUR_UTC * 60 * MINUTE_MS; start + slotMs <= midnight + CLOSE_HOUR_UTC * 60 * MINUTE_MS; start += slotMs) {
        if (start >= fromMs && start < toMs && this.isFree(eventTypeId, start, start + slotMs, nowMs)) free.push({ start: new Date(start).toISOString() });
      }
      if (free.length > 0) slots[isoDay(midnight)] = free;
    }
    return slots;
  }

  /**
   * Books the time if it is free, or answers undefined. Checks and inserts without yielding, so two
   * requests for the same time cannot both succeed.
   */
  book(request: BookingRequest, nowMs = Date.now()): CalcomBooking | undefined {
    const endMs = request.startMs + request.lengthInMinutes * MINUTE_MS;
    if (!this.isFree(request.eventTypeId, request.startMs, endMs, nowMs)) return undefined;
    const uid = randomBytes(16).toString("base64url");
    const booking: CalcomBooking = {
      id: ++this.lastId,
      uid,
      title: `${EVENT_TYPE_TITLE} between ${HOST.name} and ${request.attendee.name}`,
      status: "accepted",
      start: new Date(request.startMs).toISOString(),
      end: new Date(endMs).toISOString(),
      duration: request.lengthInMinutes,
      eventTypeId: request.eventTypeId,
      attendees: [request.attendee],
      hosts: [HOST],
      metadata: request.metadata,
      createdAt: new Date(nowMs).toISOString(),
      location: "integrations:daily",
      meetingUrl: `https://sim.cal.com/video/${uid}`,
    };
    this.bookings.set(uid, booking);
    return booking;
  }

  get(uid: string): CalcomBooking | undefined {
    return this.bookings.get(uid);
  }

  /** Cancelling frees the booking's time for new bookings. */
  cancel(uid: string, reason?: string): CancelResult {
    const booking = this.bookings.get(uid);
    if (!booking) return { kind: "unknown" };
    if (booking.status === "cancelled") return { kind: "already_cancelled" };
    booking.status = "cancelled";
    if (reason !== undefined) booking.cancellationReason = reason;
    return { kind: "cancelled", booking };
  }

  /** In creation order. */
  list(): CalcomBooking[] {
    return [...this.bookings.values()];
  }

  reset(): void {
    this.bookings.clear();
    this.lastId = 0;
  }
}
