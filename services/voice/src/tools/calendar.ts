// Where the assistant finds free times and books meetings: Parley's built-in calendar (the
// workspace's calling hours as business hours), or the tenant's Cal.com when it is connected.
import { emitEvent } from "@parley/bus";
import { newId } from "@parley/ids";
import { events } from "@parley/proto";
import type { Appointment, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { isWithinWindow } from "../domain/calling-hours";

export interface Hours {
  timezone: string;
  start: string;
  end: string;
  days: string[];
}

export interface BookingRequest {
  workspaceId: string;
  leadId: string;
  /** Absent when booked from a WhatsApp conversation. */
  callId?: string;
  start: Date;
  end: Date;
  notes?: string;
  hours: Hours;
  attendee: { name: string; email?: string; phone: string; timezone: string };
}

export type BookingOutcome = { booked: true; appointment: Appointment } | { booked: false; reason: "taken" | "outside_hours" };

export interface Calendar {
  readonly kind: "builtin" | "calcom";
  freeSlots(workspaceId: string, hours: Hours, from: Date, count: number, minutes: number): Promise<string[]>;
  book(request: BookingRequest): Promise<BookingOutcome>;
}

export const SLOT_MINUTES = 30;
const SEARCH_DAYS = 7;
const DAY_MS = 86_400_000;

/** The appointment row and `voice.appointment_booked`, in the caller's transaction. */
export async function recordAppointment(tx: Prisma.TransactionClient, request: BookingRequest, calendar: Calendar["kind"], externalId?: string): Promise<Appointment> {
  const { workspaceId, leadId, callId, start, end } = request;
  const appointment = await tx.appointment.create({
    data: { id: newId("apt"), workspaceId, leadId, callId: callId ?? null, startsAt: start, endsAt: end, notes: request.notes ?? null, calendar, externalId: externalId ?? null },
  });
  await emitEvent(tx, {
    domain: "voice",
    event: "appointment_booked",
    workspaceId,
    encode: (eventId, occurredAt) => events.AppointmentBooked.encode({ eventId, occurredAt, workspaceId, appointmentId: appointment.id, leadId, callId: callId ?? "", startsAt: start, endsAt: end }).finish(),
  });
  return appointment;
}

/** Half-hour slots inside business hours, none overlapping a booked appointment of the workspace. */
export class BuiltInCalendar implements Calendar {
  readonly kind = "builtin";

  constructor(private readonly db: PrismaClient) {}

  async freeSlots(workspaceId: string, hours: Hours, from: Date, count: number, minutes: number): Promise<string[]> {
    const horizon = from.getTime() + SEARCH_DAYS * DAY_MS;
    const booked = await this.db.appointment.findMany({ where: { workspaceId, endsAt: { gt: from }, startsAt: { lt: new Date(horizon) } } });
    const slots: string[] = [];
    const step = SLOT_MINUTES * 60_000;
    for (let t = Math.ceil(from.getTime() / step) * step; slots.length < count && t < horizon; t += step) {
      const start = new Date(t);
      const end = new Date(t + minutes * 60_000 - 1);
      if (!isWithinWindow(start, hours) || !isWithinWindow(end, hours)) continue;
      if (booked.some((a) => a.startsAt.getTime() < t + minutes * 60_000 && a.endsAt.getTime() > t)) continue;
      slots.push(start.toISOString());
    }
    return slots;
  }

  async book(request: BookingRequest): Promise<BookingOutcome> {
    const { workspaceId, start, end, hours } = request;
    if (!isWithinWindow(start, hours) || !isWithinWindow(new Date(end.getTime() - 1), hours)) return { booked: false, reason: "outside_hours" };
    const appointment = await this.db.$transaction(async (tx) => {
      // One booking at a time per workspace: the overlap check and the insert cannot interleave.
      await tx.$executeRawUnsafe("select pg_advisory_xact_lock(hashtextextended($1, 0))", `appointments:${workspaceId}`);
      const overlapping = await tx.appointment.findFirst({ where: { workspaceId, startsAt: { lt: end }, endsAt: { gt: start } } });
      return overlapping ? undefined : recordAppointment(tx, request, this.kind);
    });
    return appointment ? { booked: true, appointment } : { booked: false, reason: "taken" };
  }
}
