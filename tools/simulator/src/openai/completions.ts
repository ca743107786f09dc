import { randomBytes } from "node:crypto";
import type { ChatRequest } from "./request";

/** What the assistant answers: text, a refusal, or a call of one tool. */
export type AssistantReply = { content: string } | { refusal: string } | { tool: string; arguments: string };

export const REFUSAL = "I'm sorry, I can't help with that.";
/** A JSON answer cut off mid-string, as a model stopped short would send it. */
export const MALFORMED_CONTENT = '{"summary": "cut off';

const CHARS_PER_TOKEN = 4;
const tokens = (chars: number) => Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));

/** OpenAI's ids are a prefix and random letters and digits. */
export function openAiId(prefix: string, length: number): string {
  const letters = randomBytes(length * 2)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "");
  return `${prefix}${letters.slice(0, length)}`;
}

/** The request's size as the model reads it: the messages, plus the schema or tools it must follow. */
function inputChars(request: ChatRequest): number {
  const instructions = request.format.type === "json_schema" ? JSON.stringify(request.format.schema) : request.tools.length ? JSON.stringify(request.tools) : "";
  return request.messages.reduce((sum, message) => sum + message.text.length, instructions.length);
}

function messageOf(reply: AssistantReply) {
  if ("refusal" in reply) return { message: { role: "assistant", content: null, refusal: reply.refusal, annotations: [] }, outputChars: reply.refusal.length, finish: "stop" };
  if ("content" in reply) return { message: { role: "assistant", content: reply.content, refusal: null, annotations: [] }, outputChars: reply.content.length, finish: "stop" };
  const call = { id: openAiId("call_", 24), type: "function", function: { name: reply.tool, arguments: reply.arguments } };
  return { message: { role: "assistant", content: null, refusal: null, tool_calls: [call], annotations: [] }, outputChars: reply.tool.length + reply.arguments.length, finish: "tool_calls" };
}

/** A `chat.completion` object with one choice; token counts are estimated from characters, as the SDK's callers only add them up. */
export function chatCompletion(request: ChatRequest, reply: AssistantReply) {
  const { message, outputChars, finish } = messageOf(reply);
  const promptTokens = tokens(inputChars(request));
  const completionTokens = tokens(outputChars);
  return {
    id: openAiId("chatcmpl-", 29),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_sim",
  };
}
