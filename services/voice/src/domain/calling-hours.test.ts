import { test } from "node:test";
import assert from "node:assert/strict";
import { isWithinAll, isWithinWindow, nextOpening } from "./calling-hours";

const weekdays = { start: "09:00", end: "18:00", days: ["mon", "tue", "wed", "thu", "fri"] };

test("the window is read in the callee's time zone, on its days, end exclusive", () => {
  // Monday 2026-11-23 15:00 UTC = 10:00 in New York, 16:00 in Madrid, 00:00 Tuesday in Tokyo.
  const now = new Date("2026-11-23T15:00:00Z");
  assert.equal(isWithinWindow(now, { ...weekdays, timezone: "America/New_York" }), true);
  assert.equal(isWithinWindow(now, { ...weekdays, timezone: "Europe/Madrid" }), true);
  assert.equal(isWithinWindow(now, { ...weekdays, timezone: "Asia/Tokyo" }), false, "midnight is outside 09–18");
  assert.equal(isWithinWindow(new Date("2026-11-23T17:00:00Z"), { ...weekdays, timezone: "Europe/Madrid" }), false, "18:00 is the end, exclusive");
  assert.equal(isWithinWindow(new Date("2026-11-22T15:00:00Z"), { ...weekdays, timezone: "America/New_York" }), false, "Sunday");
});

test("00:00–24:00 every day is always open", () => {
  const always = { start: "00:00", end: "24:00", days: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], timezone: "Pacific/Kiritimati" };
  for (const iso of ["2026-11-23T09:59:00Z", "2026-11-23T10:00:00Z", "2026-11-28T23:59:59Z"]) assert.equal(isWithinWindow(new Date(iso), always), true, iso);
});

const nineToSix = { start: "09:00", end: "18:00", days: ["mon", "tue", "wed", "thu", "fri"] };

test("the next opening is now when open, else the next start on a calling day", () => {
  const open = new Date("2026-11-23T15:00:00Z");
  assert.equal(nextOpening(open, nineToSix, ["Europe/Madrid"])?.toISOString(), open.toISOString());
  // Friday 2026-11-27 19:00 in Madrid → Monday 09:00 Madrid (08:00 UTC).
  assert.equal(nextOpening(new Date("2026-11-27T18:00:00Z"), nineToSix, ["Europe/Madrid"])?.toISOString(), "2026-11-30T08:00:00.000Z");
  // Monday 06:00 in New York → 09:00 the same day (14:00 UTC).
  assert.equal(nextOpening(new Date("2026-11-23T11:00:00Z"), nineToSix, ["America/New_York"])?.toISOString(), "2026-11-23T14:00:00.000Z");
});

test("across several zones the window must be open in all of them", () => {
  const zones = ["America/New_York", "America/Los_Angeles"];
  // 09:00 in New York is 06:00 in Los Angeles: the shared window opens at 09:00 Los Angeles time.
  const opening = nextOpening(new Date("2026-11-23T13:00:00Z"), nineToSix, zones)!;
  assert.equal(opening.toISOString(), "2026-11-23T17:00:00.000Z");
  assert.equal(isWithinAll(opening, nineToSix, zones), true);
  assert.equal(isWithinAll(new Date(opening.getTime() - 60_000), nineToSix, zones), false);
});

test("a DST change is crossed at the local hour", () => {
  // Madrid leaves summer time on Sunday 2026-10-25: Monday 09:00 is 08:00 UTC, the Friday before 07:00 UTC.
  assert.equal(nextOpening(new Date("2026-10-23T17:00:00Z"), nineToSix, ["Europe/Madrid"])?.toISOString(), "2026-10-26T08:00:00.000Z");
});

test("a window that never opens in every zone gives null", () => {
  const shortDay = { start: "09:00", end: "10:00", days: ["mon"] };
  assert.equal(nextOpening(new Date("2026-11-23T00:00:00Z"), shortDay, ["Pacific/Auckland", "America/Los_Angeles"]), null);
});
