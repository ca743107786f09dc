// The tenant's Cal.com (API v2) as the assistant's calendar: its event type's availability and bookings.
import { UpstreamError } from "@parley/errors";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { ProviderHttp, type ProviderHttpOptions } from "../providers/http";
import { recordAppointment, type BookingOutcome, type BookingRequest, type Calendar, type Hours } from "./calendar";

export interface CalcomCredentials {
  apiKey: string;
  eventTypeId: number;
}

// Cal.com versions each endpoint family by header.
const SLOTS_API = { "cal-api-version": "2024-09-04" };
const BOOKINGS_API = { "cal-api-version": "2024-08-13" };
const SEARCH_DAYS = 7;

interface SlotsResponse {
  data: Record<string, { start: string }[]>;
}

interface BookingResponse {
  data: { uid: string; start: string; end: string };
}

/** Cal.com's answer when the time is not free (booked, or outside the host's availability). */
const UNAVAILABLE = /already has booking|not available|no available users/i;

/** Cal.com requires an attendee email; a lead without one gets an address that reaches no one. */
export const placeholderEmail = (leadId: string) => `${leadId}@no-email.parley.invalid`;

export class CalcomCalendar implements Calendar {
  readonly kind = "calcom";
  private readonly http: ProviderHttp;

  constructor(
    private readonly db: PrismaClient,
    private readonly credentials: CalcomCredentials,
    http: Omit<ProviderHttpOptions, "provider" | "apiKey">,
  ) {
    this.http = new ProviderHttp({ ...http, provider: "calcom", apiKey: credentials.apiKey });
  }

  async freeSlots(_workspaceId: string, hours: Hours, from: Date, count: number): Promise<string[]> {
    const query = new URLSearchParams({
      eventTypeId: String(this.credentials.eventTypeId),
      start: from.toISOString(),
      end: new Date(from.getTime() + SEARCH_DAYS * 86_400_000).toISOString(),
      timeZone: hours.timezone,
    });
    const { data } = await this.http.request<SlotsResponse>("GET", `/v2/slots?${query.toString()}`, undefined, "safe", SLOTS_API);
    return Object.keys(data)
      .sort()
      .flatMap((day) => (data[day] ?? []).map((slot) => new Date(slot.start)))
      .filter((start) => start >= from)
      .slice(0, count)
      .map((start) => start.toISOString());
  }

  async book(request: BookingRequest): Promise<BookingOutcome> {
    let booking: BookingResponse;
    try {
      booking = await this.http.request<BookingResponse>(
        "POST",
        "/v2/bookings",
        {
          start: request.start.toISOString(),
          eventTypeId: this.credentials.eventTypeId,
          lengthInMinutes: Math.round((request.end.getTime() - request.start.getTime()) / 60_000),
          attendee: { name: request.attendee.name || "Lead", email: request.attendee.email || placeholderEmail(request.leadId), timeZone: request.attendee.timezone, phoneNumber: request.attendee.phone },
          metadata: { parley_call_id: request.callId ?? "", parley_lead_id: request.leadId },
          ...(request.notes ? { bookingFieldsResponses: { notes: request.notes } } : {}),
        },
        // A retried booking could book twice.
        "unsent-only",
        BOOKINGS_API,
      );
    } catch (err) {
      if (err instanceof UpstreamError && UNAVAILABLE.test(String(err.details.provider_message))) return { booked: false, reason: "taken" };
      throw err;
    }
    const appointment = await this.db.$transaction((tx) => recordAppointment(tx, request, this.kind, booking.data.uid));
    return { booked: true, appointment };
  }
}
