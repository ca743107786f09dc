import { test } from "node:test";
import assert from "node:assert/strict";
import { Value } from "typebox/value";
import { transcriptFor } from "../voice/scenarios";
import { ConversationFacts, rankedOutcomes } from "./rules";
import { fillSchema, type JsonSchema } from "./schema-fill";

/** A Monday, so "the next working day" and "Thursday" are fixed dates. */
const MONDAY = new Date("2030-01-07T15:30:00Z");
const fill = (schema: JsonSchema, text: string) => fillSchema(schema, new ConversationFacts(text, MONDAY));

function assertValid(schema: JsonSchema, value: unknown): void {
  assert.ok(Value.Check(schema, value), `${JSON.stringify(value)} does not match ${JSON.stringify(schema)}`);
}

test("the validator the tests rely on rejects what the schema forbids", () => {
  const schema = { type: "object", properties: { a: { type: ["string", "null"], enum: ["x", null] } }, required: ["a"], additionalProperties: false };
  assert.equal(Value.Check(schema, { a: "y" }), false);
  assert.equal(Value.Check(schema, { a: null, b: 1 }), false);
  assert.equal(Value.Check(schema, {}), false);
  assert.equal(Value.Check(schema, { a: null }), true);
});

test("outcome rules: refusals outrank what the agent proposed, the simulator's own transcripts read as their scenario", () => {
  const first = (text: string) => rankedOutcomes(text)[0];
  assert.equal(first("ai: shall we book a demo? great. user: i'm not interested."), "not_interested");
  assert.equal(first("user: not interested, and don't call me again"), "do_not_call");
  assert.equal(first("user: sorry, wrong number. ai: great, a demo then?"), "wrong_number");
  assert.equal(first("ai: could we talk another time? user: yes, call me back friday"), "callback_requested");
  assert.equal(first("user: hello?"), "interested");
  const transcript = (scenario: Parameters<typeof transcriptFor>[0]) => new ConversationFacts(transcriptFor(scenario, { name: "Ada" }), MONDAY).outcome;
  assert.equal(transcript("books_meeting"), "meeting_booked");
  assert.equal(transcript("asks_opt_out"), "do_not_call");
  assert.equal(transcript("voicemail"), "voicemail");
  assert.equal(transcript("interested"), "interested");
});

test("nullable unions, anyOf with null, $ref and nested objects are filled validly", () => {
  const schema = {
    type: "object",
    $defs: { Contact: { type: "object", properties: { email: { type: "string" }, callback_time: { anyOf: [{ type: "string" }, { type: "null" }] } }, required: ["email", "callback_time"], additionalProperties: false } },
    properties: {
      contact: { $ref: "#/$defs/Contact" },
      team_size: { type: ["integer", "null"] },
      seats: { type: "integer", minimum: 5, maximum: 50 },
      uses_crm: { type: "boolean" },
      has_budget: { type: "boolean" },
      current_tool: { anyOf: [{ type: "string" }, { type: "null" }] },
      tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, minItems: 1 },
      score: { type: "number" },
    },
    required: ["contact", "team_size", "seats", "uses_crm", "has_budget", "current_tool", "tags", "score"],
    additionalProperties: false,
  };
  const told = fill(schema, "User: Write to Ada@Example.org. We have a team of 12 and we don't use a CRM. Budget is approved. Call me Thursday at 9:30.");
  assertValid(schema, told);
  assert.deepEqual(told, {
    contact: { email: "ada@example.org", callback_time: "2030-01-10T09:30:00.000Z" },
    team_size: 12,
    seats: 12,
    uses_crm: false,
    has_budget: true,
    current_tool: null,
    tags: ["a"],
    score: 12,
  });
  const flags = { type: "object", properties: { uses_crm: { type: "boolean" } }, required: ["uses_crm"] };
  assert.deepEqual(fill(flags, "User: we use a CRM already"), { uses_crm: true });
  const silent = fill(schema, "User: hello?");
  assertValid(schema, silent);
  assert.deepEqual(silent, { contact: { email: "callee@example.com", callback_time: null }, team_size: null, seats: 5, uses_crm: false, has_budget: false, current_tool: null, tags: ["a"], score: 0 });
});

test("known fields follow the outcome in whatever type the schema gives them; an enum lacking the value gets its first", () => {
  const schema = {
    type: "object",
    properties: {
      outcome: { type: "string", enum: ["qualified", "unqualified"] },
      sentiment: { type: "string", enum: ["good", "bad"] },
      interest_level: { type: "integer", minimum: 0, maximum: 10 },
      meeting_time: { type: "string" },
      objections: { type: "array", items: { type: "string" } },
      language: { type: "string", enum: ["de", "en"] },
    },
    required: ["outcome", "sentiment", "interest_level", "meeting_time", "objections", "language"],
    additionalProperties: false,
  };
  const booked = fill(schema, "User: sure, tuesday works. is it expensive?");
  assertValid(schema, booked);
  assert.deepEqual(booked, { outcome: "qualified", sentiment: "good", interest_level: 8, meeting_time: "2030-01-08T10:00:00.000Z", objections: ["price"], language: "en" });
  assert.deepEqual(fill(schema, "User: not interested"), { outcome: "qualified", sentiment: "good", interest_level: 1, meeting_time: "", objections: [], language: "en" });
});
