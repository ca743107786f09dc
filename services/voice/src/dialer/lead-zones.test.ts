import { test } from "node:test";
import assert from "node:assert/strict";
import { leadZones, MULTI_ZONE, phoneZones, SINGLE_ZONE } from "./lead-zones";

test("the lead's own zone wins, then its phone's country, then the fallback", () => {
  assert.deepEqual(leadZones({ timezone: "Asia/Tokyo", phone: "+34600123456" }, "UTC"), ["Asia/Tokyo"]);
  assert.deepEqual(leadZones({ phone: "+34600123456" }, "UTC"), ["Europe/Madrid", "Atlantic/Canary"]);
  assert.deepEqual(leadZones({ phone: "+442079460000" }, "UTC"), ["Europe/London"]);
  assert.deepEqual(leadZones({ phone: "+999123" }, "Europe/Paris"), ["Europe/Paris"]);
});

test("US numbers span the mainland zones, but Alaska and Hawaii are known by area code", () => {
  assert.equal(phoneZones("+14155550123").length, 5);
  assert.deepEqual(phoneZones("+19075550123"), ["America/Anchorage"]);
  assert.deepEqual(phoneZones("+18085550123"), ["Pacific/Honolulu"]);
});

test("every zone in the tables is one this runtime knows", () => {
  for (const zone of [...Object.values(MULTI_ZONE).flat(), ...Object.values(SINGLE_ZONE)]) {
    assert.doesNotThrow(() => new Intl.DateTimeFormat("en", { timeZone: zone }), zone);
  }
});
