// A campaign's calling schedule: what it gives, and what the workspace's settings fill in.
import { z } from "zod";
import type { CallingHours } from "../domain/calling-hours";

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "expected HH:MM (24-hour; 24:00 as an end)");
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, "not an IANA time zone (e.g. Europe/Madrid)");

export const scheduleSchema = z
  .object({
    /** For leads whose own zone is unknown (instead of the workspace's). */
    timezone: timeZone.optional(),
    calling_hours: z
      .object({ start: hhmm, end: hhmm })
      .strict()
      .refine((h) => h.start < h.end, "start must be before end")
      .optional(),
    days: z
      .array(z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]))
      .min(1)
      .refine((d) => new Set(d).size === d.length, "days must not repeat")
      .optional(),
  })
  .strict();

export type Schedule = z.infer<typeof scheduleSchema>;

/** The parts of a workspace the dialer reads. */
export interface WorkspaceDialing {
  timezone: string;
  settings: { calling_hours: { start: string; end: string }; days: string[]; max_concurrency: number };
}

export interface ResolvedSchedule {
  hours: CallingHours;
  /** The zone of leads whose own is unknown. */
  fallbackZone: string;
}

export function resolveSchedule(schedule: Schedule, workspace: WorkspaceDialing): ResolvedSchedule {
  const hours = schedule.calling_hours ?? workspace.settings.calling_hours;
  return { hours: { start: hours.start, end: hours.end, days: schedule.days ?? workspace.settings.days }, fallbackZone: schedule.timezone ?? workspace.timezone };
}
