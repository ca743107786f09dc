// The assistant's tools during a call. Each answers with a JSON object the assistant reads back;
// a tool that cannot do what was asked says so in its result (the call goes on), never by failing.
import { z } from "zod";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { leadsV1, type voiceV1 } from "@parley/proto";
import type { Call, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../domain/calls";
import { SLOT_MINUTES, type Hours } from "./calendar";
import type { Calendars } from "./calendars";

type Result = Record<string, unknown>;
const toolCalls = counter("parley_voice_tool_calls_total", "Assistant tool calls answered", ["tool", "outcome"]);

const bookArgs = z.object({
  start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO 8601 time, e.g. 2026-11-24T10:00:00-05:00"),
  duration_minutes: z.number().int().min(5).max(240).default(SLOT_MINUTES),
  notes: z.string().max(1000).optional(),
});
const availabilityArgs = z.object({ from: z.string().optional(), count: z.number().int().min(1).max(10).default(3) });
const qualificationArgs = z.object({ answers: z.record(z.string(), z.unknown()) }).or(z.record(z.string(), z.unknown()).transform((answers) => ({ answers })));
const optOutArgs = z.object({ reason: z.string().max(500).optional() });

/** Whom the tools act for: a call, or (from a WhatsApp conversation) a lead with no call. */
type Subject = { workspaceId: string; leadId: string; call?: Call };

export class CallTools {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly calendars: Calendars,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async handle(req: voiceV1.HandleToolCallsRequest): Promise<voiceV1.HandleToolCallsResponse> {
    const subject = await this.subjectOf(req);
    const results: voiceV1.ToolResult[] = [];
    for (const tc of req.toolCalls) {
      let result: Result;
      try {
        const args: unknown = tc.argumentsJson ? JSON.parse(tc.argumentsJson) : {};
        result = subject ? await this.run(tc.name, args, subject) : { ok: false, error: "This call is not known to Parley." };
      } catch (err) {
        this.logger.warn({ err, tool: tc.name, call_id: subject?.call?.id, lead_id: subject?.leadId }, "tool call failed");
        result = { ok: false, error: err instanceof SyntaxError ? "The arguments were not valid JSON." : "The tool is unavailable right now." };
      }
      toolCalls.inc({ tool: tc.name, outcome: result.ok === false ? "refused" : "ok" });
      results.push({ toolCallId: tc.id, resultJson: JSON.stringify(result) });
    }
    return { results };
  }

  private async subjectOf(req: voiceV1.HandleToolCallsRequest): Promise<Subject | undefined> {
    if (!req.callId && !req.providerCallId && req.leadId) return { workspaceId: req.workspaceId, leadId: req.leadId };
    const call = req.callId
      ? await this.db.call.findFirst({ where: { id: req.callId, workspaceId: req.workspaceId } })
      : await this.db.call.findFirst({ where: { provider: req.provider, providerCallId: req.providerCallId, workspaceId: req.workspaceId } });
    return call ? { workspaceId: call.workspaceId, leadId: call.leadId, call } : undefined;
  }

  private run(name: string, args: unknown, subject: Subject): Promise<Result> {
    switch (name) {
      case "check_availability":
        return this.checkAvailability(args, subject);
      case "book_appointment":
        return this.book(args, subject);
      case "record_qualification":
        return subject.call ? this.recordQualification(args, subject.call) : Promise.resolve({ ok: false, error: "Qualification is recorded on a call; this is not one." });
      case "opt_out":
        return this.optOut(args, subject);
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

  private async checkAvailability(args: unknown, subject: Subject): Promise<Result> {
    const parsed = availabilityArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const from = parsed.data.from && !Number.isNaN(Date.parse(parsed.data.from)) ? new Date(Math.max(Date.parse(parsed.data.from), this.now().getTime())) : this.now();
    const [hours, calendar] = await Promise.all([this.hours(subject.workspaceId), this.calendars.forWorkspace(subject.workspaceId)]);
    const slots = await calendar.freeSlots(subject.workspaceId, hours, from, parsed.data.count, SLOT_MINUTES);
    return { ok: true, slots, timezone: hours.timezone, duration_minutes: SLOT_MINUTES };
  }

  private async book(args: unknown, subject: Subject): Promise<Result> {
    const parsed = bookArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const start = new Date(parsed.data.start);
    const minutes = parsed.data.duration_minutes;
    if (start <= this.now()) return { ok: false, error: "That time has passed; offer a time in the future." };
    const [hours, calendar, { lead }] = await Promise.all([
      this.hours(subject.workspaceId),
      this.calendars.forWorkspace(subject.workspaceId),
      this.leads.getLead({ workspaceId: subject.workspaceId, leadId: subject.leadId, timelineLimit: 0 }),
    ]);
    const outcome = await calendar.book({
      workspaceId: subject.workspaceId,
      leadId: subject.leadId,
      callId: subject.call?.id,
      start,
      end: new Date(start.getTime() + minutes * 60_000),
      notes: parsed.data.notes,
      hours,
      attendee: { name: lead!.name, email: lead!.email || undefined, phone: lead!.phone, timezone: lead!.timezone || hours.timezone },
    });
    if (outcome.booked) return { ok: true, appointment_id: outcome.appointment.id, start: outcome.appointment.startsAt.toISOString(), end: outcome.appointment.endsAt.toISOString() };
    const alternatives = await calendar.freeSlots(subject.workspaceId, hours, start, 3, minutes);
    return { ok: false, error: outcome.reason === "outside_hours" ? "That time is outside business hours." : "That time is already booked.", alternatives };
  }

  private async recordQualification(args: unknown, call: Call): Promise<Result> {
    const parsed = qualificationArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    const merged = { ...(call.qualification as Record<string, unknown>), ...parsed.data.answers };
    await this.db.call.update({ where: { id: call.id }, data: { qualification: merged as Prisma.InputJsonObject } });
    return { ok: true, recorded: Object.keys(parsed.data.answers) };
  }

  /** The callee asked not to be contacted: the ledger is written for every channel. */
  private async optOut(args: unknown, subject: Subject): Promise<Result> {
    const parsed = optOutArgs.safeParse(args);
    if (!parsed.success) return this.invalid(parsed.error);
    await this.leads.recordOptOut({
      workspaceId: subject.workspaceId,
      leadId: subject.leadId,
      channels: [leadsV1.Channel.CHANNEL_VOICE, leadsV1.Channel.CHANNEL_WHATSAPP],
      reason: parsed.data.reason ?? (subject.call ? "asked during a call" : "asked in a conversation"),
      source: subject.call ? `call:${subject.call.id}` : `lead:${subject.leadId}`,
    });
    return { ok: true, message: "Opted out of calls and messages." };
  }
}
