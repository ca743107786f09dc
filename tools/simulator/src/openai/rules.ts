import { appointmentTime, namesDayOrTime } from "./dates";
import type { ValueSource } from "./schema-fill";

// Keyword rules that turn a conversation into the answer a model would give, deterministically,
// so tests can assert on meaning. Every pattern runs on lower-cased text with plain apostrophes.

export type Outcome = "meeting_booked" | "interested" | "callback_requested" | "not_interested" | "do_not_call" | "voicemail" | "wrong_number";

/** Highest priority first: what the callee refuses outweighs anything the agent proposed in the same call. */
const OUTCOME_RULES: { outcome: Outcome; matches: (text: string) => boolean }[] = [
  { outcome: "do_not_call", matches: (t) => /\b(don't|do not) call\b|\bstop calling\b|\bremove me\b|\btake me off\b/.test(t) },
  { outcome: "wrong_number", matches: (t) => /\bwrong number\b/.test(t) },
  { outcome: "voicemail", matches: (t) => /\bvoicemail\b|\bleave a message\b|\bmissed you\b|\bafter the (tone|beep)\b/.test(t) },
  { outcome: "not_interested", matches: (t) => /\bnot interested\b/.test(t) },
  { outcome: "callback_requested", matches: (t) => /\bcall (me )?back\b|\bcallback\b|\bcall (me )?later\b|\banother time\b/.test(t) },
  { outcome: "meeting_booked", matches: (t) => /\b(book\w*|meet\w*|tuesday|schedul\w*|demo)\b/.test(t) && /\b(yes|sure|great|sounds good)\b/.test(t) },
];

const SENTIMENT: Record<Outcome, string> = {
  meeting_booked: "positive",
  interested: "positive",
  callback_requested: "positive",
  not_interested: "neutral",
  voicemail: "neutral",
  wrong_number: "neutral",
  do_not_call: "negative",
};

const SUMMARY: Record<Outcome, string> = {
  meeting_booked: "The callee agreed to a meeting.",
  interested: "The callee is interested and wants to hear more.",
  callback_requested: "The callee asked to be called back later.",
  not_interested: "The callee is not interested.",
  do_not_call: "The callee asked not to be called again.",
  voicemail: "The call reached voicemail.",
  wrong_number: "The call reached a wrong number.",
};

const NEXT_ACTION: Record<Outcome, string> = {
  meeting_booked: "Send a calendar invite for the meeting.",
  interested: "Follow up with more information.",
  callback_requested: "Call back at a better time.",
  not_interested: "Close the lead.",
  do_not_call: "Add the number to the do-not-call list.",
  voicemail: "Try calling again later.",
  wrong_number: "Remove the number from the lead.",
};

/** Offered as an enum value and as a 0–10 score, so either kind of `interest_level` gets one. */
const INTEREST: Record<Outcome, [string, number]> = {
  meeting_booked: ["high", 8],
  interested: ["medium", 6],
  callback_requested: ["medium", 6],
  not_interested: ["low", 1],
  do_not_call: ["low", 1],
  voicemail: ["low", 1],
  wrong_number: ["low", 1],
};

/** Words that say nothing about a yes/no field's subject: `has_budget` is about "budget". */
const FILLER_WORDS = new Set(["has", "have", "had", "is", "are", "was", "were", "be", "been", "did", "does", "do", "can", "could", "should", "will", "would", "wants", "want", "needs", "need", "the", "a", "an", "of", "to", "for", "any"]);
const NUMBER = String.raw`(\d[\d,]*(?:\.\d+)?)`;
const EMAIL = /[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/;
const PLACEHOLDER_EMAIL = "callee@example.com";

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const toNumber = (digits: string | undefined) => (digits === undefined ? undefined : Number(digits.replace(/,/g, "")));

/** `hasBudget`, `has_budget` and `has-budget` all name the words ["has", "budget"]. */
function wordsOf(field: string): string[] {
  return field
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** The words a field is about, without a plural or third-person "s", so `uses_crm` matches "we use a CRM". */
function subjectWords(field: string): string[] {
  const words = wordsOf(field);
  const meaningful = words.filter((word) => !FILLER_WORDS.has(word));
  return (meaningful.length ? meaningful : words).map((word) => (word.length > 3 ? word.replace(/s$/, "") : word));
}

/** Curly apostrophes become plain ones so "don’t" and "don't" match the same rules. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/[\u2018\u2019]/g, "'");
}

/** Every outcome whose rule matches a normalised text, by priority, then `interested`, which is what a call is when nothing else is said. */
export function rankedOutcomes(text: string): Outcome[] {
  return [...OUTCOME_RULES.filter((rule) => rule.matches(text)).map((rule) => rule.outcome), "interested"];
}

/** What a conversation (its lower-cased text) says, as values for the fields of a schema. */
export class ConversationFacts implements ValueSource {
  readonly text: string;
  readonly outcomes: Outcome[];

  constructor(
    text: string,
    private readonly now: Date,
  ) {
    this.text = normalise(text);
    this.outcomes = rankedOutcomes(this.text);
  }

  get outcome(): Outcome {
    return this.outcomes[0] ?? "interested";
  }

  preferred(field: string): readonly unknown[] {
    const outcome = this.outcome;
    switch (wordsOf(field).join("_")) {
      case "outcome":
        return this.outcomes;
      case "sentiment":
        return [SENTIMENT[outcome]];
      case "summary":
        return [SUMMARY[outcome]];
      case "next_action":
        return [NEXT_ACTION[outcome]];
      case "interest_level":
        return INTEREST[outcome];
      case "meeting_time":
        return outcome === "meeting_booked" ? [appointmentTime(this.text, this.now)] : [null, ""];
      case "objections":
        return [/\b(expensive|price|cost)/.test(this.text) ? ["price"] : []];
      case "language":
        return ["en"];
      default:
        return [];
    }
  }

  flag(field: string): boolean | undefined {
    const words = subjectWords(field);
    if (!words.every((word) => new RegExp(`\\b${escape(word)}`).test(this.text))) return undefined;
    const negated = new RegExp(`\\b(no|not|don't|doesn't|didn't|isn't|aren't|without|never)\\s+(\\w+\\s+){0,2}${escape(words[0] ?? "")}`);
    return !negated.test(this.text);
  }

  numberFor(field: string): number | undefined {
    for (const word of subjectWords(field)) {
      const after = new RegExp(`\\b${escape(word)}\\w*\\D{0,25}?${NUMBER}`).exec(this.text);
      const before = new RegExp(`${NUMBER}\\s+(?:\\w+\\s+){0,3}${escape(word)}`).exec(this.text);
      const found = toNumber(after?.[1] ?? before?.[1]);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  anyNumber(): number | undefined {
    return toNumber(new RegExp(NUMBER).exec(this.text)?.[1]);
  }

  mentionedOption(options: readonly string[]): string | undefined {
    return options.find((option) => {
      const spelled = escape(option.toLowerCase()).replace(/[_\s-]+/g, "[\\s_-]+");
      return new RegExp(`(^|[^a-z0-9])${spelled}($|[^a-z0-9])`).test(this.text);
    });
  }

  textFor(field: string, format: string | undefined): string | undefined {
    const kind = stringKind(field, format);
    if (kind === "email") return EMAIL.exec(this.text)?.[0];
    if (kind === "text" || !namesDayOrTime(this.text)) return undefined;
    const time = appointmentTime(this.text, this.now);
    return kind === "date" ? time.slice(0, 10) : time;
  }

  placeholder(field: string, format: string | undefined): string {
    const kind = stringKind(field, format);
    if (kind === "email") return PLACEHOLDER_EMAIL;
    const time = appointmentTime(this.text, this.now);
    return kind === "date-time" ? time : kind === "date" ? time.slice(0, 10) : "unknown";
  }
}

/** Strings that must have a form (a start time, an email) are known by their format or their name. */
function stringKind(field: string, format: string | undefined): "date-time" | "date" | "email" | "text" {
  const words = wordsOf(field);
  if (format === "email" || words.includes("email")) return "email";
  if (format === "date-time" || words.some((word) => ["time", "datetime", "start", "when"].includes(word))) return "date-time";
  if (format === "date" || words.includes("date")) return "date";
  return "text";
}
