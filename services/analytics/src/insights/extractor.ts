// One structured-output request per call through the official SDK (its retries cover 429/5xx),
// and at most one repair request when the answer is a refusal, not JSON, or not the schema.
import OpenAI from "openai";
import type { OpenAiModels } from "@parley/integrations/openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { parseInsight, type Insight } from "./insight-schema";

export interface Extraction {
  insight?: Insight;
  /** Why there is no insight after the repair attempt. */
  failure?: string;
  /** The model's last answer, kept for diagnosis when it could not be used. */
  raw?: string;
  promptTokens: number;
  completionTokens: number;
  requests: number;
}

function problemWith(schema: Record<string, unknown>, message: { content: string | null; refusal?: string | null }): { insight?: Insight; problem?: string } {
  if (message.refusal) return { problem: `the model refused: ${message.refusal}` };
  if (!message.content) return { problem: "the model answered nothing" };
  try {
    return { insight: parseInsight(schema, message.content) };
  } catch (err) {
    return { problem: err instanceof SyntaxError ? `the answer is not JSON: ${err.message}` : (err as Error).message };
  }
}

export class InsightExtractor {
  constructor(
    private readonly client: OpenAI,
    readonly model: string,
  ) {}

  async extract(messages: ChatCompletionMessageParam[], schema: Record<string, unknown>): Promise<Extraction> {
    const result: Extraction = { promptTokens: 0, completionTokens: 0, requests: 0 };
    let conversation = messages;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const completion = await this.client.chat.completions.create({
        model: this.model,
        messages: conversation,
        temperature: 0,
        response_format: { type: "json_schema", json_schema: { name: "call_insight", strict: true, schema } },
      });
      result.requests += 1;
      result.promptTokens += completion.usage?.prompt_tokens ?? 0;
      result.completionTokens += completion.usage?.completion_tokens ?? 0;
      const message = completion.choices[0]?.message ?? { content: null, refusal: null };
      const { insight, problem } = problemWith(schema, message);
      if (insight) return { ...result, insight, raw: undefined };
      result.failure = problem;
      result.raw = message.content ?? message.refusal ?? "";
      conversation = [
        ...messages,
        { role: "assistant", content: result.raw || "(empty)" },
        { role: "user", content: `That answer cannot be used: ${problem}. Answer again with only the JSON object the schema describes.` },
      ];
    }
    return result;
  }
}

/** The extractor for a workspace: its own OpenAI key and model when it stored one, else the operator's. */
export class Extractors {
  constructor(private readonly models: OpenAiModels) {}

  async forWorkspace(workspaceId: string): Promise<InsightExtractor | undefined> {
    const model = await this.models.forWorkspace(workspaceId);
    return model ? new InsightExtractor(model.client, model.model) : undefined;
  }
}
