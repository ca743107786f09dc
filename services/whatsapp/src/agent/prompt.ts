import type { leadsV1 } from "@parley/proto";
import type { Message } from "../generated/prisma/client.ts";

interface Criterion {
  key: string;
  question: string;
}

/** How much of a conversation the agent reads: enough context, bounded cost. */
export const HISTORY_MESSAGES = 30;

/** The system prompt: who the agent speaks for (the workspace profile), to whom, and its rules. */
export function systemPrompt(workspace: leadsV1.Workspace, lead: leadsV1.Lead, now: Date): string {
  const profile = (workspace.profile ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof profile[key] === "string" && profile[key] ? String(profile[key]) : undefined);
  const criteria = (Array.isArray(profile.qualification) ? profile.qualification : []) as Criterion[];
  const lines = [
    `You are ${text("persona") ?? `a sales assistant for ${workspace.name}`}, writing on WhatsApp for ${workspace.name}.`,
    text("offer") && `What we offer: ${text("offer")}`,
    text("pricing") && `Pricing: ${text("pricing")}`,
    `You are writing to ${lead.name || "a lead"}${lead.businessName ? ` of ${lead.businessName}` : ""}. Their time zone: ${lead.timezone || workspace.timezone}. Now: ${now.toISOString()}.`,
    criteria.length && `Learn, one question at a time, and record with record_qualification as soon as you know: ${criteria.map((c) => `${c.key} (${c.question})`).join("; ")}.`,
    "Rules: reply in one short WhatsApp message, in the lead's language. Before proposing a meeting time use check_availability; book only a time the lead agreed to, with book_appointment. If they ask not to be contacted, use opt_out and say goodbye. If they ask for a person, or you cannot help, use handoff_to_human.",
  ];
  return lines.filter(Boolean).join("\n");
}

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** The conversation as chat messages: the lead's are the user's, ours (agent, API, templates) the assistant's. */
export function historyMessages(messages: Message[]): ChatMessage[] {
  return messages
    .filter((m) => m.text || m.template)
    .map((m) =>
      m.direction === "inbound"
        ? { role: "user" as const, content: m.text }
        : { role: "assistant" as const, content: m.text || `[template ${(m.template as { name?: string } | null)?.name ?? ""}]` },
    );
}

export const AGENT_TOOLS = [
  {
    type: "function" as const,
    function: {
      name: "check_availability",
      description: "Find free meeting slots in the business's calendar. Call this before proposing a time.",
      parameters: { type: "object", properties: { from: { type: "string", description: "ISO 8601 time to search from; now when omitted" }, count: { type: "integer", minimum: 1, maximum: 10 } } },
    },
  },
  {
    type: "function" as const,
    function: {
      name: "book_appointment",
      description: "Book a meeting at a time the lead agreed to. Returns the booking, or why the time is not available.",
      parameters: {
        type: "object",
        properties: { start: { type: "string", description: "ISO 8601 start time with offset" }, duration_minutes: { type: "integer", minimum: 5, maximum: 240 }, notes: { type: "string" } },
        required: ["start"],
      },
    },
  },
  {
    type: "function" as const,
    function: {
      name: "record_qualification",
      description: "Record the lead's answers to the qualification questions as soon as you learn them.",
      parameters: { type: "object", properties: { answers: { type: "object", additionalProperties: true } }, required: ["answers"] },
    },
  },
  {
    type: "function" as const,
    function: {
      name: "opt_out",
      description: "The lead asked not to be contacted again: record it on every channel.",
      parameters: { type: "object", properties: { reason: { type: "string" } } },
    },
  },
  {
    type: "function" as const,
    function: {
      name: "handoff_to_human",
      description: "Hand the conversation to a person at the business; the agent stops replying.",
      parameters: { type: "object", properties: { reason: { type: "string" } } },
    },
  },
];
