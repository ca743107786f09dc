import { test } from "node:test";
import assert from "node:assert/strict";
import { insightSchema, parseInsight, SchemaMismatchError, schemaProblems } from "./insight-schema";

const criteria = [
  { key: "has_budget", question: "Do they have budget?", type: "boolean" as const },
  { key: "seats", question: "How many seats?", type: "number" as const },
  { key: "company_size", question: "Company size?", type: "enum" as const, options: ["small", "large"] },
  { key: "current_tool", question: "What do they use today?", type: "text" as const },
];

const good = {
  summary: "They want a demo.",
  sentiment: "positive",
  outcome: "meeting_booked",
  interest_level: "high",
  objections: ["price"],
  meeting_time: "2026-11-24T10:00:00-05:00",
  next_action: "Send the deck.",
  language: "en",
  qualification: { has_budget: true, seats: 12, company_size: null, current_tool: "spreadsheets" },
};

test("the schema is strict: every property required, no others, one typed field per criterion", () => {
  const schema = insightSchema(criteria);
  assert.deepEqual(schema.required, ["summary", "sentiment", "outcome", "interest_level", "objections", "meeting_time", "next_action", "language", "qualification"]);
  assert.equal(schema.additionalProperties, false);
  const q = (schema.properties as Record<string, Record<string, unknown>>).qualification!;
  assert.deepEqual(q.required, ["has_budget", "seats", "company_size", "current_tool"]);
  assert.deepEqual((q.properties as Record<string, { enum?: unknown[] }>).company_size?.enum, ["small", "large", null]);
});

test("a valid answer parses; each kind of mismatch is named with its path", () => {
  const schema = insightSchema(criteria);
  assert.deepEqual(parseInsight(schema, JSON.stringify(good)), good);
  const { summary: _dropped, ...withoutSummary } = good;
  const bad = { ...withoutSummary, outcome: "maybe", objections: "price", extra: 1, qualification: { ...good.qualification, seats: "twelve" } };
  assert.deepEqual(schemaProblems(schema, bad).sort(), [
    "$.extra is not expected",
    "$.objections should be array, not string",
    "$.outcome should be one of meeting_booked, interested, callback_requested, not_interested, wrong_number, voicemail, do_not_call, no_conversation",
    "$.qualification.seats should be number or null, not string",
    "$.summary is missing",
  ]);
  assert.throws(() => parseInsight(schema, JSON.stringify(bad)), SchemaMismatchError);
  assert.throws(() => parseInsight(schema, '{"summary": "cut'), SyntaxError);
});
