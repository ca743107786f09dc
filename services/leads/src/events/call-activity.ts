import type { InboundEvent, SqlTx } from "@parley/bus";
import { events } from "@parley/proto";
import type { Prisma } from "../generated/prisma/client.ts";
import type { LeadsDomain } from "../domain/leads";

const REASONS: Record<string, string> = {
  completed: "completed",
  no_answer: "no answer",
  busy: "busy",
  voicemail: "voicemail",
  failed: "failed",
  canceled: "canceled",
};

// Statuses a booked meeting does not overwrite.
const FINAL_STATUSES = new Set(["meeting_booked", "converted", "do_not_call"]);

function duration(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
}

/**
 * The lead's side of its calls: each call's start and end, and meetings booked during them, on the
 * timeline at the time they happened; a new lead becomes `contacted` at its first call and
 * `meeting_booked` when a meeting is booked.
 */
export function callActivityConsumer(leads: LeadsDomain) {
  return {
    durable: "leads-call-activity",
    domain: "voice" as const,
    events: ["call_started", "call_ended", "appointment_booked"],
    async handler(event: InboundEvent, sqlTx: SqlTx): Promise<void> {
      // runService's transactions are Prisma interactive transactions.
      const tx = sqlTx as unknown as Prisma.TransactionClient;
      const activity = describe(event);
      const lead = await tx.lead.findFirst({ where: { id: activity.leadId, workspaceId: activity.workspaceId } });
      // A lead deleted since: its calls are no longer part of any timeline.
      if (!lead) return;
      await leads.addTimeline(tx, lead, activity.kind, activity.summary, activity.data, activity.occurredAt);
      if (activity.status && (activity.status === "contacted" ? lead.status === "new" : !FINAL_STATUSES.has(lead.status))) {
        await leads.changeStatusIn(tx, lead, activity.status, activity.occurredAt);
      }
    },
  };
}

interface Activity {
  workspaceId: string;
  leadId: string;
  kind: string;
  summary: string;
  data: Record<string, unknown>;
  occurredAt: Date;
  /** The status the lead moves to. */
  status?: string;
}

function describe(event: InboundEvent): Activity {
  if (event.type === "voice.appointment_booked") {
    const b = events.AppointmentBooked.decode(event.data);
    return {
      workspaceId: b.workspaceId,
      leadId: b.leadId,
      kind: "meeting_booked",
      summary: `Meeting booked for ${b.startsAt?.toISOString() ?? "a time"}`,
      data: { appointment_id: b.appointmentId, call_id: b.callId, starts_at: b.startsAt?.toISOString(), ends_at: b.endsAt?.toISOString() },
      occurredAt: b.occurredAt ?? new Date(),
      status: "meeting_booked",
    };
  }
  if (event.type === "voice.call_started") {
    const s = events.CallStarted.decode(event.data);
    return { workspaceId: s.workspaceId, leadId: s.leadId, kind: "call_started", summary: s.direction === "inbound" ? `Called in (via ${s.provider})` : `Call placed via ${s.provider}`, data: { call_id: s.callId, provider: s.provider, direction: s.direction || "outbound" }, occurredAt: s.occurredAt ?? new Date(), status: "contacted" };
  }
  const e = events.CallEnded.decode(event.data);
  return {
    workspaceId: e.workspaceId,
    leadId: e.leadId,
    kind: "call_ended",
    summary: `Call ended: ${REASONS[e.endedReason] ?? e.endedReason}${e.durationSeconds ? `, ${duration(e.durationSeconds)}` : ""}`,
    data: { call_id: e.callId, provider: e.provider, ended_reason: e.endedReason, duration_seconds: e.durationSeconds },
    occurredAt: e.endedAt ?? e.occurredAt ?? new Date(),
    status: "contacted",
  };
}
