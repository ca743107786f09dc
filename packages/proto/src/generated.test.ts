import { test } from "node:test";
import assert from "node:assert/strict";
import { staleProtoFiles } from "../../../tools/codegen/src/main";
import { events } from "./index";

test("committed generated code matches proto/ (run `npm run gen` when this fails)", () => {
  assert.deepEqual(staleProtoFiles(), []);
});

test("events round-trip through the wire format", () => {
  const original = events.LeadCreated.fromPartial({
    eventId: "evt_1",
    workspaceId: "ws_1",
    occurredAt: new Date("2026-01-02T03:04:05.000Z"),
    lead: { id: "ld_1", phone: "+14155550123", tags: ["a"], metadata: { plan: "pro" } },
  });
  const decoded = events.LeadCreated.decode(events.LeadCreated.encode(original).finish());
  assert.deepEqual(decoded, original);
});
