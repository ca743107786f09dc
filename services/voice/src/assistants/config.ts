// An assistant's configuration as Parley keeps and versions it: provider-neutral, rendered by each
// adapter into its vendor's shape.
import { z } from "zod";
import { ValidationError } from "@parley/errors";
import type { AssistantSpec, ToolDefinition } from "../providers/port";

export const assistantConfig = z
  .object({
    first_message: z.string().trim().min(1).max(1000),
    system_prompt: z.string().trim().min(1).max(20_000),
    voicemail_message: z.string().trim().min(1).max(1000).optional(),
    voice: z.object({ provider: z.string().min(1).max(50), voice_id: z.string().min(1).max(200) }).strict().optional(),
    model: z.object({ provider: z.string().min(1).max(50), model: z.string().min(1).max(100) }).strict().optional(),
    max_duration_seconds: z.number().int().min(30).max(7200).optional(),
    end_call_phrases: z.array(z.string().trim().min(1).max(200)).max(20).optional(),
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, "a language tag such as en or en-US").optional(),
  })
  .strict();

export type AssistantConfig = z.infer<typeof assistantConfig>;

/** The configuration, or a ValidationError naming each bad field under `config.`. */
export function parseConfig(value: unknown): AssistantConfig {
  const parsed = assistantConfig.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    "invalid assistant config",
    parsed.error.issues.map((i) => ({ path: ["config", ...i.path.map(String)].join("."), message: i.message })),
  );
}

/** A partial edit merged onto the current configuration; `null` removes an optional field. */
export function mergeConfig(current: AssistantConfig, patch: Record<string, unknown>): AssistantConfig {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return parseConfig(next);
}

export function toSpec(name: string, config: AssistantConfig, webhook: AssistantSpec["webhook"], tools: ToolDefinition[]): AssistantSpec {
  return {
    name,
    firstMessage: config.first_message,
    systemPrompt: config.system_prompt,
    voicemailMessage: config.voicemail_message,
    voice: config.voice && { provider: config.voice.provider, voiceId: config.voice.voice_id },
    model: config.model,
    maxDurationSeconds: config.max_duration_seconds,
    endCallPhrases: config.end_call_phrases,
    language: config.language,
    webhook,
    tools,
  };
}
