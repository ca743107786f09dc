import { test } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { buildSimulator } from "../app";

const auth = { authorization: "Bearer cal_live_test" };
const slotsHeaders = { ...auth, "cal-api-version": "2024-09-04" };
const bookingHeaders = { ...auth, "cal-api-version": "2024-08-13" };
const EVENT_TYPE_ID = 7;
const UNAVAILABLE = "User either already has booking at this time or is not available";
const DAY_MS = 86_400_000;

/** The first Monday at least two days ahead (UTC): all of its slots are in the future whenever the test runs. */
function nextMonday(): string {
  const now = new Date();
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2));
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const at = (date: string, time: string) => `${date}T${time}:00.000Z`;
const dayOfSlots = (date: string) => Array.from({ length: 16 }, (_, i) => at(date, `${String(9 + Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}`));

const attendee = { name: "Ada Lovelace", email: "ada@example.test", timeZone: "Europe/London" };

async function withSimulator(run: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const { app } = await buildSimulator({ parleyUrl: "http://127.0.0.1:9" });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

const book = (app: FastifyInstance, payload: Record<string, unknown>, headers: Record<string, string> = bookingHeaders) =>
  app.inject({ method: "POST", url: "/calcom/v2/bookings", headers, payload: { eventTypeId: EVENT_TYPE_ID, attendee, ...payload } });

async function freeSlotsOn(app: FastifyInstance, date: string, eventTypeId = EVENT_TYPE_ID): Promise<string[]> {
  const response = await app.inject({ url: `/calcom/v2/slots?eventTypeId=${eventTypeId}&start=${date}&end=${date}`, headers: slotsHeaders });
  assert.equal(response.statusCode, 200);
  const days = response.json<{ data: Record<string, { start: string }[]> }>().data;
  return (days[date] ?? []).map((slot) => slot.start);
}

function assertCalcomError(response: { statusCode: number; json: () => unknown }, status: number, code: string, path: string, message?: string | RegExp): void {
  assert.equal(response.statusCode, status);
  const body = response.json() as { status: string; timestamp: string; path: string; error: { code: string; message: string } };
  assert.equal(body.status, "error");
  assert.equal(new Date(body.timestamp).toISOString(), body.timestamp);
  assert.equal(body.path, path);
  assert.equal(body.error.code, code);
  if (typeof message === "string") assert.equal(body.error.message, message);
  else if (message) assert.match(body.error.message, message);
}

test("slots: a weekday has 16 half-hour slots from 09:00 to 16:30 UTC, weekends and the past have none", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    assert.deepEqual(await freeSlotsOn(app, monday), dayOfSlots(monday));
    assert.deepEqual(await freeSlotsOn(app, addDays(monday, 5)), []);
    assert.deepEqual(await freeSlotsOn(app, addDays(monday, -14)), []);

    const week = await app.inject({ url: `/calcom/v2/slots?eventTypeId=${EVENT_TYPE_ID}&start=${monday}&end=${addDays(monday, 6)}&timeZone=Europe/Rome`, headers: slotsHeaders });
    assert.equal(week.statusCode, 200);
    const { status, data } = week.json<{ status: string; data: Record<string, { start: string }[]> }>();
    assert.equal(status, "success");
    assert.deepEqual(Object.keys(data), [0, 1, 2, 3, 4].map((i) => addDays(monday, i)));
    assert.deepEqual(data[addDays(monday, 4)]?.map((slot) => slot.start), dayOfSlots(addDays(monday, 4)));

    // With date-times the range is [start, end): the slot starting at `end` is not in it.
    const hour = await app.inject({ url: `/calcom/v2/slots?eventTypeId=${EVENT_TYPE_ID}&start=${at(monday, "10:00")}&end=${at(monday, "11:00")}`, headers: slotsHeaders });
    assert.deepEqual(hour.json().data, { [monday]: [{ start: at(monday, "10:00") }, { start: at(monday, "10:30") }] });
  });
});

test("slots: bad or missing parameters are 400, event type 404 is 404, a missing version header is 400, no bearer is 401", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    const slots = (query: string, headers: Record<string, string> = slotsHeaders) => app.inject({ url: `/calcom/v2/slots?${query}`, headers });
    for (const [query, field] of [
      [`start=${monday}&end=${monday}`, "eventTypeId"],
      [`eventTypeId=abc&start=${monday}&end=${monday}`, "eventTypeId"],
      [`eventTypeId=0&start=${monday}&end=${monday}`, "eventTypeId"],
      [`eventTypeId=7&end=${monday}`, "start"],
      [`eventTypeId=7&start=tomorrow&end=${monday}`, "start"],
      [`eventTypeId=7&start=${monday}`, "end"],
      [`eventTypeId=7&start=${monday}&end=${monday.slice(0, 8)}32`, "end"],
      [`eventTypeId=7&start=${monday}&end=${monday}&timeZone=Mars/Olympus`, "timeZone"],
    ] as const) {
      const refused = await slots(query);
      assertCalcomError(refused, 400, "BadRequestException", `/v2/slots?${query}`, new RegExp(field));
    }
    assertCalcomError(await slots(`eventTypeId=7&start=${monday}&end=${addDays(monday, 31)}`), 400, "BadRequestException", `/v2/slots?eventTypeId=7&start=${monday}&end=${addDays(monday, 31)}`, /31 days/);
    assert.equal((await slots(`eventTypeId=7&start=${monday}&end=${addDays(monday, 30)}`)).statusCode, 200);

    const query = `eventTypeId=404&start=${monday}&end=${monday}`;
    assertCalcomError(await slots(query), 404, "NotFoundException", `/v2/slots?${query}`);
    assertCalcomError(await slots(`eventTypeId=7&start=${monday}&end=${monday}`, auth), 400, "BadRequestException", `/v2/slots?eventTypeId=7&start=${monday}&end=${monday}`, /cal-api-version/);
    assertCalcomError(await slots(`eventTypeId=7&start=${monday}&end=${monday}`, { "cal-api-version": "2024-09-04" }), 401, "UnauthorizedException", `/v2/slots?eventTypeId=7&start=${monday}&end=${monday}`);
  });
});

test("a booking answers in Cal.com's shape, can be read back, and takes its slot; other event types keep theirs", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    const guest = { ...attendee, phoneNumber: "+14155550123" };
    const created = await book(app, { start: at(monday, "10:00"), attendee: guest, metadata: { lead: "l_1" }, bookingFieldsResponses: { notes: "call me" } });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.match(body.data.uid, /^[A-Za-z0-9_-]{16,}$/);
    assert.equal(new Date(body.data.createdAt).toISOString(), body.data.createdAt);
    assert.deepEqual(body, {
      status: "success",
      data: {
        id: 1,
        uid: body.data.uid,
        title: "30 min meeting between Sim Host and Ada Lovelace",
        status: "accepted",
        start: at(monday, "10:00"),
        end: at(monday, "10:30"),
        duration: 30,
        eventTypeId: EVENT_TYPE_ID,
        attendees: [{ ...guest, language: "en" }],
        hosts: [{ id: 1, name: "Sim Host", email: "host@sim.cal.com", timeZone: "UTC" }],
        metadata: { lead: "l_1" },
        createdAt: body.data.createdAt,
        location: "integrations:daily",
        meetingUrl: `https://sim.cal.com/video/${body.data.uid}`,
      },
    });

    const read = await app.inject({ url: `/calcom/v2/bookings/${body.data.uid}`, headers: bookingHeaders });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), body);
    assertCalcomError(await app.inject({ url: "/calcom/v2/bookings/nope", headers: bookingHeaders }), 404, "NotFoundException", "/v2/bookings/nope");

    assert.deepEqual(await freeSlotsOn(app, monday), dayOfSlots(monday).filter((slot) => slot !== at(monday, "10:00")));
    assert.deepEqual(await freeSlotsOn(app, monday, 8), dayOfSlots(monday));
    const otherType = await book(app, { start: at(monday, "10:00"), eventTypeId: 8 });
    assert.equal(otherType.statusCode, 201);
    assert.equal(otherType.json().data.id, 2);
    assert.deepEqual(otherType.json().data.attendees, [{ ...attendee, language: "en" }]);
    assert.deepEqual(otherType.json().data.metadata, {});
  });
});

test("overlapping, out-of-hours and past bookings are refused with Cal.com's message; a 60-minute booking takes two slots", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    assert.equal((await book(app, { start: at(monday, "10:00") })).statusCode, 201);
    for (const payload of [
      { start: at(monday, "10:00") },
      { start: at(monday, "09:45") },
      { start: at(monday, "09:30"), lengthInMinutes: 60 },
      { start: at(monday, "08:30") },
      { start: at(monday, "16:45") },
      { start: at(monday, "16:30"), lengthInMinutes: 60 },
      { start: at(addDays(monday, 5), "10:00") },
      { start: at(addDays(monday, -14), "10:00") },
    ]) {
      assertCalcomError(await book(app, payload), 400, "BadRequestException", "/v2/bookings", UNAVAILABLE);
    }

    const long = await book(app, { start: at(monday, "13:00"), lengthInMinutes: 60 });
    assert.equal(long.statusCode, 201);
    assert.equal(long.json().data.end, at(monday, "14:00"));
    assert.equal(long.json().data.duration, 60);
    const taken = new Set([at(monday, "10:00"), at(monday, "13:00"), at(monday, "13:30")]);
    assert.deepEqual(await freeSlotsOn(app, monday), dayOfSlots(monday).filter((slot) => !taken.has(slot)));
    assert.equal((await book(app, { start: at(monday, "16:30") })).statusCode, 201);
  });
});

test("two simultaneous bookings of the same slot: exactly one succeeds", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    const both = await Promise.all([book(app, { start: at(monday, "15:00") }), book(app, { start: at(monday, "15:00") })]);
    assert.deepEqual(both.map((response) => response.statusCode).sort(), [201, 400]);
  });
});

test("cancelling frees the slot for a new booking; unknown or already cancelled bookings are refused", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    const { uid } = (await book(app, { start: at(monday, "11:00") })).json().data;
    assert.equal((await freeSlotsOn(app, monday)).includes(at(monday, "11:00")), false);

    const cancel = (id: string, payload: Record<string, unknown> = {}) => app.inject({ method: "POST", url: `/calcom/v2/bookings/${id}/cancel`, headers: bookingHeaders, payload });
    const cancelled = await cancel(uid, { cancellationReason: "Lead asked to stop" });
    assert.equal(cancelled.statusCode, 200);
    assert.equal(cancelled.json().status, "success");
    assert.equal(cancelled.json().data.uid, uid);
    assert.equal(cancelled.json().data.status, "cancelled");
    assert.equal(cancelled.json().data.cancellationReason, "Lead asked to stop");
    assert.equal((await app.inject({ url: `/calcom/v2/bookings/${uid}`, headers: bookingHeaders })).json().data.status, "cancelled");

    assert.deepEqual(await freeSlotsOn(app, monday), dayOfSlots(monday));
    assert.equal((await book(app, { start: at(monday, "11:00") })).statusCode, 201);
    assertCalcomError(await cancel(uid), 400, "BadRequestException", `/v2/bookings/${uid}/cancel`);
    assertCalcomError(await cancel("nope"), 404, "NotFoundException", "/v2/bookings/nope/cancel");
  });
});

test("bookings: missing fields are named, event type 404 is 404, a missing version header is 400, no bearer is 401", async () => {
  await withSimulator(async (app) => {
    const start = at(nextMonday(), "10:00");
    const { email: _email, ...withoutEmail } = attendee;
    for (const [payload, field] of [
      [{ start, attendee: withoutEmail }, "attendee.email"],
      [{ start, attendee: { ...attendee, email: "not-an-email" } }, "attendee.email"],
      [{ start, attendee: { ...attendee, timeZone: "Nowhere/Special" } }, "attendee.timeZone"],
      [{ start, attendee: "Ada" }, "attendee"],
      [{ start: undefined }, "start"],
      [{ start: "next tuesday" }, "start"],
      [{ start, eventTypeId: "7" }, "eventTypeId"],
      [{ start, lengthInMinutes: 10 }, "lengthInMinutes"],
      [{ start, lengthInMinutes: 241 }, "lengthInMinutes"],
      [{ start, metadata: ["x"] }, "metadata"],
    ] as const) {
      const refused = await book(app, payload);
      assertCalcomError(refused, 400, "BadRequestException", "/v2/bookings", new RegExp(`^${field.replace(".", "\\.")} `));
    }

    assertCalcomError(await book(app, { start, eventTypeId: 404 }), 404, "NotFoundException", "/v2/bookings");
    assertCalcomError(await book(app, { start }, auth), 400, "BadRequestException", "/v2/bookings", /cal-api-version/);
    assertCalcomError(await book(app, { start }, { "cal-api-version": "2024-08-13" }), 401, "UnauthorizedException", "/v2/bookings");
    const malformed = await app.inject({ method: "POST", url: "/calcom/v2/bookings", headers: { ...bookingHeaders, "content-type": "application/json" }, payload: "{" });
    assertCalcomError(malformed, 400, "BadRequestException", "/v2/bookings");
    assert.equal((await app.inject({ url: "/_sim/calcom/bookings" })).json().data.length, 0);
  });
});

test("/_sim/calcom/bookings lists bookings in creation order, cancelled ones too; reset empties it and restarts ids", async () => {
  await withSimulator(async (app) => {
    const monday = nextMonday();
    const first = (await book(app, { start: at(monday, "09:00") })).json().data;
    const second = (await book(app, { start: at(monday, "09:30") })).json().data;
    await app.inject({ method: "POST", url: `/calcom/v2/bookings/${first.uid}/cancel`, headers: bookingHeaders, payload: {} });

    const listed = await app.inject({ url: "/_sim/calcom/bookings" });
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json(), { data: [{ ...first, status: "cancelled" }, second] });

    assert.equal((await app.inject({ method: "POST", url: "/_sim/reset" })).statusCode, 200);
    assert.deepEqual((await app.inject({ url: "/_sim/calcom/bookings" })).json(), { data: [] });
    assertCalcomError(await app.inject({ url: `/calcom/v2/bookings/${second.uid}`, headers: bookingHeaders }), 404, "NotFoundException", `/v2/bookings/${second.uid}`);
    assert.deepEqual(await freeSlotsOn(app, monday), dayOfSlots(monday));
    assert.equal((await book(app, { start: at(monday, "09:00") })).json().data.id, 1);
  });
});
