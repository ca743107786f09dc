import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { QualificationCriterion } from "./insight-schema";

/** Recorded on every insight: a change to the wording or the schema is a new version. */
export const PROMPT_VERSION = "call-insight/1";

export interface CallFacts {
  business: string;
  offer: string;
  endedReason: string;
  durationSeconds: number;
  transcript: string;
  criteria: QualificationCriterion[];
}

export function insightPrompt(call: CallFacts): ChatCompletionMessageParam[] {
  const questions = call.criteria.length ? `\nQualification questions (answer each in "qualification" by its key, null when the call did not tell):\n${call.criteria.map((c) => `- ${c.key}: ${c.question}`).join("\n")}` : "";
  return [
    {
      role: "system",
      content: `You analyse sales calls made for ${call.business || "a business"}${call.offer ? `, offering ${call.offer}` : ""}. From the transcript, report what happened as JSON. Be factual: use only what was said. "meeting_booked" only if a time was agreed; "do_not_call" if the callee asked not to be contacted again; "voicemail" if a machine answered; "no_conversation" if nobody really spoke.${questions}`,
    },
    { role: "user", content: `The call ended as ${call.endedReason} after ${call.durationSeconds} seconds.\nTranscript:\n${call.transcript}` },
  ];
}
