// Calling hours in the callee's local time: a window of HH:MM on some days of the week.

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface CallingWindow {
  timezone: string;
  start: string;
  /** "24:00" means until midnight. */
  end: string;
  days: readonly string[];
}

function localTime(now: Date, timezone: string): { day: Weekday; minutes: number } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return { day: get("weekday").toLowerCase().slice(0, 3) as Weekday, minutes: Number(get("hour")) * 60 + Number(get("minute")) };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function isWithinWindow(now: Date, window: CallingWindow): boolean {
  const { day, minutes } = localTime(now, window.timezone);
  return window.days.includes(day) && minutes >= minutesOf(window.start) && minutes < minutesOf(window.end);
}
