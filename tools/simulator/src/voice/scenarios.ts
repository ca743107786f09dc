// Behaviour chosen by the callee's last four digits (SIMULATOR.md, "Test numbers").

export type VoiceScenario =
  | "no_answer"
  | "busy"
  | "voicemail"
  | "dial_5xx"
  | "dial_invalid"
  | "duplicate_shuffled_webhooks"
  | "drop_terminal_webhooks"
  | "books_meeting"
  | "asks_opt_out"
  | "short_transcript"
  | "interested";

const BY_SUFFIX: Record<string, VoiceScenario> = {
  "0101": "no_answer",
  "0102": "busy",
  "0103": "voicemail",
  "0104": "dial_5xx",
  "0105": "dial_invalid",
  "0106": "duplicate_shuffled_webhooks",
  "0107": "drop_terminal_webhooks",
  "0108": "books_meeting",
  "0109": "asks_opt_out",
  "0110": "short_transcript",
};

export function voiceScenario(to: string): VoiceScenario {
  return BY_SUFFIX[to.replace(/\D/g, "").slice(-4)] ?? "interested";
}

/** How the call ends, in the simulator's own words; each provider renders it in its vocabulary. */
export type SimOutcome = "completed" | "no_answer" | "busy" | "voicemail";

export function outcomeOf(scenario: VoiceScenario): SimOutcome {
  if (scenario === "no_answer" || scenario === "busy" || scenario === "voicemail") return scenario;
  return "completed";
}

export function transcriptFor(scenario: VoiceScenario, variables: Record<string, unknown>): string {
  const name = typeof variables.name === "string" && variables.name ? variables.name : "there";
  switch (scenario) {
    case "no_answer":
    case "busy":
      return "";
    case "voicemail":
      return `AI: Hi ${name}, sorry I missed you. I'll try again later.`;
    case "short_transcript":
      return "User: Hello? Bye.";
    case "asks_opt_out":
      return `AI: Hi ${name}, this is Sam.\nUser: Please don't call me again.\nAI: Understood, I have removed you from our list. Goodbye.`;
    case "books_meeting":
      return `AI: Hi ${name}, this is Sam.\nUser: Sounds good, can we meet Tuesday at 10am?\nAI: Booked for Tuesday at 10am. Talk soon!`;
    default:
      return `AI: Hi ${name}, this is Sam with a quick question about your growth plans.\nUser: Sure, we are interested, tell me more about pricing.\nAI: Great, I will send the details over. Thanks!`;
  }
}
