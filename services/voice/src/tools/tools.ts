// The assistant's tools during a call. Each answers with a JSON object the assistant reads back;
// a tool that cannot do what was asked says so in its result (the call goes on), never by failing.
import { z } from "zod";
import { emitEvent } from "@parley/bus";
import { newId } from "@parley/ids";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { events, leadsV1, type voiceV1 } from "@parley/proto";
import type { Call, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../domain/calls";
import { isWithinWindow } from "../domain/calling-hours";

type Result = Record<string, unknown>;
const toolCalls = counter("parley_voice_tool_calls_total", "Assistant tool calls answered", ["tool", "outcome"]);

const SLOT_MINUTES = 30;
const SEARCH_DAYS = 7;

interface Hours {
  timezone: string;
  start: string;
  end: string;
  days: string[];
}

const bookArgs = z.object({
  start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO 8601 time, e.g. 2026-11-24T10:00:00-05:00"),
  duration_minutes: z.number().int().min(5).max(240).default(SLOT_MINUTES),
  notes: z.string().max(1000).optional(),
});
const availabilityArgs = z.object({ from: z.string().optional(), count: z.number().int().min(1).max(10).default(3) });
const qualificationArgs = z.object({ answers: z.record(z.string(), z.unknown()) }).or(z.record(z.string(), z.unknown()).transform((answers) => ({ answers })));
const optOutArgs = z.object({ reason: z.string().max(500).optional() });

export class CallTools {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async handle(req: voiceV1.HandleToolCallsRequest): Promise<voiceV1.HandleToolCallsResponse> {
    const call = await this.findCall(req);
    const results: voiceV1.ToolResult[] = [];
    for (const tc of req.toolCalls) {
      let result: Result;
      try {
        const args: unknown = tc.argumentsJson ? JSON.parse(tc.argumentsJson) : {};
        result = call ? await this.run(tc.name, args, call) : { ok: false, error: "This call is not known to Parley." };
      } catch (err) {
        this.logger.warn({ err, tool: tc.name, call_id: call?.id }, "tool call failed");
        result = { ok: false, error: err instanceof SyntaxError ? "The arguments were not valid JSON." : "The tool is unavailable right now." };
      }
      toolCalls.inc({ tool: tc.name, outcome: result.ok === false ? "refused" : "ok" });
      results.push({ toolCallId: tc.id, resultJson: JSON.stringify(result) });
    }
    return { results };
  }

  private findCall(req: voiceV1.HandleToolCallsRequest): Promise<Call | null> {
    if (req.callId) return this.db.call.findFirst({ where: { id: req.callId, workspaceId: req.workspaceId } });
    return this.db.call.findFirst({ where: { provider: req.provider, providerCallId: req.providerCallId, workspaceId: req.workspaceId } });
  }

  private run(name: string, args: unknown, call: Call): Promise<Result> {
    switch (name) {
      case "check_availability":
        return this.checkAvailability(args, call);
      case "book_appointment":
        return this.book(args, call);
      case "record_qualification":
        return this.recordQualification(args, call);
      case "opt_out":
        return this.optOut(args, call);
      default:
        return Promise.resolve({ ok: false, error: `Unknown tool ${name}.` });
    }
  }

  private invalid(error: z.ZodError): Result {
    return { ok: false, error: error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ") };
  }

  /** Business hours: the workspace's calling hours, in its time zone. */
  private async hours(workspaceId: string): Promise<Hours> {
    const { workspace } = await this.leads.getWorkspace({ workspaceId });
    const settings = workspace!.settings as { calling_hours: { start: string; end: string }; days: string[] };
    return { timezone: workspace!.timezone, start: settings.calling_hours.start, end: settings.calling_hours.end, days: settings.days };
  }

  private async overlapping(tx: Prisma.TransactionClient | PrismaClient, workspaceId: string, start: Date, end: Date) {
    return tx.appointment.findFirst({ where: { workspaceId, startsAt: { lt: end }, endsAt: { gt: start } } });
  }

  /** The next free half-hour slots inside business hours, over the coming week. */
  private async freeSlots(workspaceId: string, hours: Hours, from: Date, count: number, minutes = SLOT_MINUTES): Promise<string[]> {
    const booked = await this.db.appointment.findMany({ where: { workspaceId, endsAt: { gt: from }, startsAt: { lt: new Date(from.getTime() + SEARCH_DAYS * 86_400_000) } } });
    const slots: string[] = [];
    const step = SLOT_MINUTES * 60_000;
    for (let t = Math.ceil(from.getTime() / step) * step; slots.length < count && t < from.getTime() + SEARCH_DAYS * 86_400_000; t += step) {
      const start = new Date(t);
      const end = new Date(t + minutes * 60_000 - 1);
      if (!isWithinWindow(start, hours) || !isWithinWindow(end, hours)) continue;
      if (booked.some((a) => a.startsAt.getTime() < t + minutes * 60_000 && a.endsAt.getTime() > t)) continue;
      slots.push(start.toISOString());
    }
    return slots;
  }

  private async checkAvailability(args: unknown, call: Call): Promise<Result> {
    const parsed = availabilityArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const from = parsed.data.from && !Number.isNaN(Date.parse(parsed.data.from)) ? new Date(Math.max(Date.parse(parsed.data.from), this.now().getTime())) : this.now();
    const hours = await this.hours(call.workspaceId);
    const slots = await this.freeSlots(call.workspaceId, hours, from, parsed.data.count);
    return { ok: true, slots, timezone: hours.timezone, duration_minutes: SLOT_MINUTES };
  }

  private async book(args: unknown, call: Call): Promise<Result> {
    const parsed = bookArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const start = new Date(parsed.data.start);
    const end = new Date(start.getTime() + parsed.data.duration_minutes * 60_000);
    if (start <= this.now()) return { ok: false, error: "That time has passed; offer a time in the future." };
    const hours = await this.hours(call.workspaceId);
    if (!isWithinWindow(start, hours) || !isWithinWindow(new Date(end.getTime() - 1), hours)) {
      return { ok: false, error: "That time is outside business hours.", alternatives: await this.freeSlots(call.workspaceId, hours, start, 3, parsed.data.duration_minutes) };
    }
    const booked = await this.db.$transaction(async (tx) => {
      // One booking at a time per workspace: the overlap check and the insert cannot interleave.
      await tx.$executeRawUnsafe("select pg_advisory_xact_lock(hashtextextended($1, 0))", `appointments:${call.workspaceId}`);
      if (await this.overlapping(tx, call.workspaceId, start, end)) return undefined;
      const appointment = await tx.appointment.create({ data: { id: newId("apt"), workspaceId: call.workspaceId, leadId: call.leadId, callId: call.id, startsAt: start, endsAt: end, notes: parsed.data.notes ?? null } });
      await emitEvent(tx, {
        domain: "voice",
        event: "appointment_booked",
        workspaceId: call.workspaceId,
        encode: (eventId, occurredAt) =>
          events.AppointmentBooked.encode({ eventId, occurredAt, workspaceId: call.workspaceId, appointmentId: appointment.id, leadId: call.leadId, callId: call.id, startsAt: start, endsAt: end }).finish(),
      });
      return appointment;
    });
    if (!booked) return { ok: false, error: "That time is already booked.", alternatives: await this.freeSlots(call.workspaceId, hours, start, 3, parsed.data.duration_minutes) };
    return { ok: true, appointment_id: booked.id, start: booked.startsAt.toISOString(), end: booked.endsAt.toISOString() };
  }

  private async recordQualification(args: unknown, call: Call): Promise<Result> {
    const parsed = qualificationArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const merged = { ...(call.qualification as Record<string, unknown>), ...parsed.data.answers };
    await this.db.call.update({ where: { id: call.id }, data: { qualification: merged as Prisma.InputJsonObject } });
    return { ok: true, recorded: Object.keys(parsed.data.answers) };
  }

  /** The callee asked not to be contacted: the ledger is written for every channel. */
  private async optOut(args: unknown, call: Call): Promise<Result> {
    const parsed = optOutArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    await this.leads.recordOptOut({
      workspaceId: call.workspaceId,
      leadId: call.leadId,
      channels: [leadsV1.Channel.CHANNEL_VOICE, leadsV1.Channel.CHANNEL_WHATSAPP],
      reason: parsed.data.reason ?? "asked during a call",
      source: `call:${call.id}`,
    });
    return { ok: true, message: "Opted out of calls and messages." };
  }
}
