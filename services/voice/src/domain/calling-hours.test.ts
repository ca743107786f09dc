import { test } from "node:test";
import assert from "node:assert/strict";
import { isWithinWindow } from "./calling-hours";

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
