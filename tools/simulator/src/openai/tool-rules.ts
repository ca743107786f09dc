import { normalise } from "./rules";

/** Opting out comes first: consent outweighs whatever else the same message asks for. */
const TOOL_RULES: { tool: string; pattern: RegExp }[] = [
  { tool: "opt_out", pattern: /\b(stop|unsubscribe)\b|\b(don't|do not) (message|contact|call)\b/ },
  { tool: "book_appointment", pattern: /\b(book\w*|meeting|appointment|schedul\w*)\b/ },
  { tool: "check_availability", pattern: /\b(available|availability|free time|when can)\b/ },
  { tool: "handoff_to_human", pattern: /\b(human|person|agent|manager)\b/ },
];

export const TEXT_REPLY = "Thanks for your message — how can I help?";
export const FOLLOW_UP_REPLY = "Thanks! How else can I help?";
export const BOOKED_REPLY = "You're booked. See you then!";

/** The tool a user's message asks for, among the tools offered, if any. */
export function toolFor(message: string, offered: readonly string[]): string | undefined {
  const text = normalise(message);
  return TOOL_RULES.find((rule) => offered.includes(rule.tool) && rule.pattern.test(text))?.tool;
}

/** What the assistant says once a tool has answered. */
export function replyToToolResult(result: string): string {
  return /\b(booked|ok)\b/.test(normalise(result)) ? BOOKED_REPLY : FOLLOW_UP_REPLY;
}
