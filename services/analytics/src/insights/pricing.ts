import { z } from "zod";

/** USD per million tokens, per model: what an insight's LLM cost is computed from. */
export const priceTable = z.record(z.string(), z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }));
export type PriceTable = z.infer<typeof priceTable>;

export const DEFAULT_PRICES: PriceTable = {
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1": { input: 2, output: 8 },
};

/** Unknown models cost 0: the table is configuration, and a missing price must not stop analysis. */
export function llmCost(prices: PriceTable, model: string, promptTokens: number, completionTokens: number): number {
  const price = prices[model];
  return price ? (promptTokens * price.input + completionTokens * price.output) / 1_000_000 : 0;
}
