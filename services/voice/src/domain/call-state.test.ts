import { test } from "node:test";
import assert from "node:assert/strict";
import { merge, type CallFacts } from "./call-state";
import type { ProviderCall } from "../providers/port";

const fresh: CallFacts = { status: "queued", endedReason: null, providerReason: null, answeredAt: null, endedAt: null, durationSeconds: null, transcript: null, recordingUrl: null, cost: null };
const at = (status: ProviderCall["status"], extra: Partial<ProviderCall> = {}): ProviderCall => ({ providerCallId: "p1", status, ...extra });

test("any order of the same updates gives the same final facts", () => {
  const updates = [
    // Bolna's early stages report zero talk time and cost: they must not erase the real figures.
    at("ringing", { durationSeconds: 0, cost: 0 }),
    at("in_progress", { answeredAt: new Date("2026-11-23T10:00:00Z"), durationSeconds: 0, cost: 0 }),
    at("ended", { endedReason: "completed", providerReason: "customer-ended-call", endedAt: new Date("2026-11-23T10:02:00Z"), durationSeconds: 120 }),
    at("ended", { endedReason: "completed", transcript: "AI: hi", recordingUrl: "https://r/1.wav", cost: 0.23 }),
  ];
  const inOrder = updates.reduce(merge, fresh);
  for (const order of [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2, 3, 1]]) {
    assert.deepEqual(order.map((i) => updates[i]!).reduce(merge, fresh), inOrder, order.join());
  }
  assert.equal(inOrder.status, "ended");
  assert.equal(inOrder.endedReason, "completed");
  assert.equal(inOrder.transcript, "AI: hi");
  assert.equal(inOrder.durationSeconds, 120);
  assert.equal(inOrder.cost, 0.23);
});

test("status never moves backwards and the first ended reason stands", () => {
  const ended = merge(fresh, at("ended", { endedReason: "no_answer" }));
  assert.equal(merge(ended, at("ringing")).status, "ended");
  assert.equal(merge(ended, at("ended", { endedReason: "failed" })).endedReason, "no_answer");
});
