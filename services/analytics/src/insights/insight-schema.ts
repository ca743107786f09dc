// The JSON schema the model must answer with: a base every call gets, plus one field per
// qualification criterion of the workspace profile. Strict structured output needs every property
// required and no others, so optional facts are nullable instead.

export const OUTCOMES = ["meeting_booked", "interested", "callback_requested", "not_interested", "wrong_number", "voicemail", "do_not_call", "no_conversation"] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const SENTIMENTS = ["positive", "neutral", "negative"] as const;
export const INTEREST_LEVELS = ["high", "medium", "low", "none"] as const;

export interface QualificationCriterion {
  key: string;
  question: string;
  type: "boolean" | "number" | "enum" | "text";
  options?: string[];
}

type JsonSchema = Record<string, unknown>;

const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type as string, "null"] });

function criterionSchema(c: QualificationCriterion): JsonSchema {
  const description = `${c.question} (null when the call did not tell)`;
  switch (c.type) {
    case "boolean":
      return { type: ["boolean", "null"], description };
    case "number":
      return { type: ["number", "null"], description };
    case "enum":
      return { type: ["string", "null"], enum: [...(c.options ?? []), null], description };
    case "text":
      return { type: ["string", "null"], description };
  }
}

export function insightSchema(criteria: QualificationCriterion[]): JsonSchema {
  const base: Record<string, JsonSchema> = {
    summary: { type: "string", description: "Two or three sentences on what happened in the call." },
    sentiment: { type: "string", enum: [...SENTIMENTS] },
    outcome: { type: "string", enum: [...OUTCOMES] },
    interest_level: { type: "string", enum: [...INTEREST_LEVELS] },
    objections: { type: "array", items: { type: "string" }, description: "The callee's objections, in a few words each." },
    meeting_time: nullable({ type: "string", description: "The agreed meeting time, ISO 8601 with offset." }),
    next_action: { type: "string", description: "What the sales team should do next." },
    language: { type: "string", description: "The language of the conversation, as a tag such as en or es." },
  };
  const qualification: Record<string, JsonSchema> = Object.fromEntries(criteria.map((c) => [c.key, criterionSchema(c)]));
  const properties = { ...base, qualification: { type: "object", properties: qualification, required: Object.keys(qualification), additionalProperties: false } };
  return { type: "object", properties, required: Object.keys(properties), additionalProperties: false };
}

export class SchemaMismatchError extends Error {
  constructor(readonly problems: string[]) {
    super(`the answer does not match the schema: ${problems.join("; ")}`);
    this.name = "SchemaMismatchError";
  }
}

const typeOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);

/** Checks a value against the subset of JSON Schema built above; every problem is named with its path. */
export function schemaProblems(schema: JsonSchema, value: unknown, path = "$"): string[] {
  const types = ([] as string[]).concat((schema.type as string | string[] | undefined) ?? []);
  const actual = typeOf(value);
  if (types.length && !types.includes(actual) && !(actual === "integer" && types.includes("number"))) return [`${path} should be ${types.join(" or ")}, not ${actual}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${path} should be one of ${schema.enum.map(String).join(", ")}`];
  if (actual === "array" && schema.items) return (value as unknown[]).flatMap((item, i) => schemaProblems(schema.items as JsonSchema, item, `${path}[${i}]`));
  if (actual !== "object") return [];
  const object = value as Record<string, unknown>;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return [
    ...((schema.required as string[] | undefined) ?? []).filter((k) => !(k in object)).map((k) => `${path}.${k} is missing`),
    ...(schema.additionalProperties === false ? Object.keys(object).filter((k) => !(k in properties)).map((k) => `${path}.${k} is not expected`) : []),
    ...Object.entries(properties).flatMap(([k, s]) => (k in object ? schemaProblems(s, object[k], `${path}.${k}`) : [])),
  ];
}

export interface Insight {
  summary: string;
  sentiment: (typeof SENTIMENTS)[number];
  outcome: Outcome;
  interest_level: (typeof INTEREST_LEVELS)[number];
  objections: string[];
  meeting_time: string | null;
  next_action: string;
  language: string;
  qualification: Record<string, unknown>;
}

/** The model's text as an Insight, or SchemaMismatchError / SyntaxError saying what is wrong. */
export function parseInsight(schema: JsonSchema, text: string): Insight {
  const value: unknown = JSON.parse(text);
  const problems = schemaProblems(schema, value);
  if (problems.length) throw new SchemaMismatchError(problems);
  return value as Insight;
}
