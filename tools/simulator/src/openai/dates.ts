const DAY_MS = 86_400_000;
const DEFAULT_HOUR_UTC = 10;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const DAY_WORD = /\b(sunday|monday|tuesday|wednesday|thursday|friday|saturday|tomorrow)\b/g;
const CLOCK = /\b(\d{1,2})(?::([0-5]\d))?\s*(am|pm)\b|\b([01]?\d|2[0-3]):([0-5]\d)\b/g;

const startOfDayUtc = (now: Date) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());

function nextWorkingDay(now: Date): number {
  let day = startOfDayUtc(now) + DAY_MS;
  while ([0, 6].includes(new Date(day).getUTCDay())) day += DAY_MS;
  return day;
}

/** In a conversation the day finally agreed on is usually the last one named. */
function lastNamedDay(text: string, now: Date): number | undefined {
  const word = [...text.matchAll(DAY_WORD)].at(-1)?.[1];
  if (!word) return undefined;
  const today = startOfDayUtc(now);
  if (word === "tomorrow") return today + DAY_MS;
  const daysAhead = ((WEEKDAYS.indexOf(word) - new Date(today).getUTCDay() + 6) % 7) + 1;
  return today + daysAhead * DAY_MS;
}

function lastNamedClock(text: string): { hour: number; minute: number } | undefined {
  const match = [...text.matchAll(CLOCK)].at(-1);
  if (!match) return undefined;
  const [, hour12, minute12, meridiem, hour24, minute24] = match;
  if (hour24 !== undefined) return { hour: Number(hour24), minute: Number(minute24) };
  const hour = Number(hour12);
  if (hour < 1 || hour > 12) return undefined;
  return { hour: (hour % 12) + (meridiem === "pm" ? 12 : 0), minute: Number(minute12 ?? 0) };
}

/** Whether a lower-cased text names a day or a clock time, so it tells when to meet. */
export function namesDayOrTime(text: string): boolean {
  return [...text.matchAll(DAY_WORD)].length > 0 || lastNamedClock(text) !== undefined;
}

/**
 * The meeting a lower-cased text agrees on, as an ISO 8601 UTC date-time always in the future: the
 * last weekday it names (or "tomorrow") else the next working day, at the last clock time it names
 * else 10:00. Times are read as UTC because the text carries no time zone.
 */
export function appointmentTime(text: string, now: Date): string {
  const day = lastNamedDay(text, now) ?? nextWorkingDay(now);
  const { hour, minute } = lastNamedClock(text) ?? { hour: DEFAULT_HOUR_UTC, minute: 0 };
  return new Date(day + (hour * 60 + minute) * 60_000).toISOString();
}
