// What the assistant is told about Parley's in-call tools; tools.ts answers them.
import type { ToolDefinition } from "../providers/port";

export const CALL_TOOLS: ToolDefinition[] = [
  {
    name: "check_availability",
    description: "Find free meeting slots in the business's calendar. Call this before proposing a time.",
    parameters: {
      type: "object",
      properties: {
        from: { type: "string", description: "ISO 8601 time to search from; now when omitted" },
        count: { type: "integer", minimum: 1, maximum: 10, description: "how many slots to return (default 3)" },
      },
    },
  },
  {
    name: "book_appointment",
    description: "Book a meeting with the callee at a time they agreed to. Returns the booking, or why the time is not available.",
    parameters: {
      type: "object",
      properties: {
        start: { type: "string", description: "ISO 8601 start time with offset, e.g. 2026-11-24T10:00:00-05:00" },
        duration_minutes: { type: "integer", minimum: 5, maximum: 240, description: "default 30" },
        notes: { type: "string", description: "what the meeting is about" },
      },
      required: ["start"],
    },
  },
  {
    name: "record_qualification",
    description: "Record the callee's answers to the qualification questions as soon as you learn them.",
    parameters: {
      type: "object",
      properties: { answers: { type: "object", description: "question → answer", additionalProperties: true } },
      required: ["answers"],
    },
  },
  {
    name: "opt_out",
    description: "The callee asked not to be contacted again: record it, apologise, and end the call politely.",
    parameters: { type: "object", properties: { reason: { type: "string", description: "the callee's words, briefly" } } },
  },
];
