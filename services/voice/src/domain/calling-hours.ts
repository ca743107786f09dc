// Calling hours in the callee's local time: a window of HH:MM on some days of the week. A callee
// whose zone is uncertain (a country spanning several) is called only when the window is open in
// every zone it may be in.

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface CallingHours {
  start: string;
  /** "24:00" means until midnight. */
  end: string;
  days: readonly string[];
}

export interface CallingWindow extends CallingHours {
  timezone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timezone, f);
  }
  return f;
}

interface LocalTime {
  day: Weekday;
  year: number;
  month: number;
  date: number;
  minutes: number;
}

function localTime(now: Date, timezone: string): LocalTime {
  const parts = formatter(timezone).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    day: get("weekday").toLowerCase().slice(0, 3) as Weekday,
    year: Number(get("year")),
    month: Number(get("month")),
    date: Number(get("day")),
    minutes: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function isWithinWindow(now: Date, window: CallingWindow): boolean {
  const { day, minutes } = localTime(now, window.timezone);
  return window.days.includes(day) && minutes >= minutesOf(window.start) && minutes < minutesOf(window.end);
}

export function isWithinAll(now: Date, hours: CallingHours, zones: readonly string[]): boolean {
  return zones.every((timezone) => isWithinWindow(now, { ...hours, timezone }));
}

/** The instant a local wall-clock time happens in a zone (the later one across a DST gap). */
function instantOf(year: number, month: number, date: number, minutes: number, timezone: string): Date {
  const wall = Date.UTC(year, month - 1, date, 0, minutes);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const seen = localTime(new Date(guess), timezone);
    const seenWall = Date.UTC(seen.year, seen.month - 1, seen.date, 0, seen.minutes);
    guess += wall - seenWall;
  }
  return new Date(guess);
}

/**
 * The first instant at or after `from` when the window is open in every zone, or null when it never
 * opens within a fortnight (days that never overlap across the zones). The earliest such instant
 * is `from` itself or the moment some zone's window opens, so only those are tried.
 */
export function nextOpening(from: Date, hours: CallingHours, zones: readonly string[]): Date | null {
  if (isWithinAll(from, hours, zones)) return from;
  const candidates: number[] = [];
  for (const timezone of zones) {
    const today = localTime(from, timezone);
    for (let d = 0; d <= 14; d++) {
      const day = new Date(Date.UTC(today.year, today.month - 1, today.date + d));
      const opening = instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), minutesOf(hours.start), timezone);
      if (opening.getTime() > from.getTime()) candidates.push(opening.getTime());
    }
  }
  for (const t of candidates.sort((a, b) => a - b)) {
    if (isWithinAll(new Date(t), hours, zones)) return new Date(t);
  }
  return null;
}
