import { isObject, obj, str, type Json } from "../voice/wire";
import type { OpenAiRequestKind } from "./log";
import type { JsonSchema } from "./schema-fill";

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"];
const EMPTY_PARAMETERS: JsonSchema = { type: "object", properties: {} };

export interface ChatMessage {
  role: string;
  text: string;
}

export interface ToolSpec {
  name: string;
  parameters: JsonSchema;
}

export type ResponseFormat = { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: JsonSchema };

export type ToolChoice = { mode: "auto" | "none" | "required" } | { mode: "named"; name: string };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  format: ResponseFormat;
  tools: ToolSpec[];
  toolChoice: ToolChoice;
}

/** The `error` object of OpenAI's 400 answers, less its `type`, which is always `invalid_request_error`. */
export interface RequestProblem {
  message: string;
  param: string | null;
  code: string | null;
}

type Parsed<T> = { value: T } | { error: RequestProblem };

const missing = (param: string) => ({ error: { message: `Missing required parameter: '${param}'.`, param, code: "missing_required_parameter" } });
const invalid = (param: string, message: string, code = "invalid_value") => ({ error: { message, param, code } });
const wrongType = (param: string, expected: string) => invalid(param, `Invalid type for '${param}': expected ${expected}.`, "invalid_type");

/** A message's text: a string, or the text parts of a content array (images and audio carry none). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => obj(part))
    .filter((part) => part.type === "text")
    .map((part) => str(part.text))
    .join("\n");
}

function messagesOf(raw: unknown): Parsed<ChatMessage[]> {
  if (raw === undefined || raw === null) return missing("messages");
  if (!Array.isArray(raw)) return wrongType("messages", "an array of objects");
  if (raw.length === 0) return invalid("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "empty_array");
  const messages: ChatMessage[] = [];
  for (const [index, message] of raw.entries()) {
    const param = `messages[${index}]`;
    if (!isObject(message)) return wrongType(param, "an object");
    if (message.role === undefined) return missing(`${param}.role`);
    const role = str(message.role);
    if (!ROLES.includes(role)) return invalid(`${param}.role`, `Invalid value: '${String(message.role)}'. Supported values are: ${ROLES.map((r) => `'${r}'`).join(", ")}.`);
    messages.push({ role, text: textOf(message.content) });
  }
  return { value: messages };
}

function formatOf(raw: unknown): Parsed<ResponseFormat> {
  if (raw === undefined || raw === null) return { value: { type: "text" } };
  if (!isObject(raw)) return wrongType("response_format", "an object");
  if (raw.type === "text" || raw.type === "json_object") return { value: { type: raw.type } };
  if (raw.type !== "json_schema") return invalid("response_format.type", `Invalid value: '${String(raw.type)}'. Supported values are: 'text', 'json_object' and 'json_schema'.`);
  if (!isObject(raw.json_schema)) return missing("response_format.json_schema");
  const name = str(raw.json_schema.name);
  if (!name) return missing("response_format.json_schema.name");
  return { value: { type: "json_schema", name, schema: isObject(raw.json_schema.schema) ? raw.json_schema.schema : {} } };
}

function toolsOf(raw: unknown): Parsed<ToolSpec[]> {
  if (raw === undefined || raw === null) return { value: [] };
  if (!Array.isArray(raw)) return wrongType("tools", "an array of objects");
  const tools: ToolSpec[] = [];
  for (const [index, tool] of raw.entries()) {
    const fn = obj(obj(tool).function);
    const name = str(fn.name);
    if (!name) return missing(`tools[${index}].function.name`);
    tools.push({ name, parameters: isObject(fn.parameters) ? fn.parameters : EMPTY_PARAMETERS });
  }
  return { value: tools };
}

function toolChoiceOf(raw: unknown, tools: ToolSpec[]): Parsed<ToolChoice> {
  if (raw === undefined || raw === null) return { value: { mode: "auto" } };
  if (raw === "auto" || raw === "none" || raw === "required") return { value: { mode: raw } };
  const name = str(obj(obj(raw).function).name);
  if (!name) return invalid("tool_choice", "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a named function.");
  if (!tools.some((tool) => tool.name === name)) return invalid("tool_choice", `Invalid value for 'tool_choice': tool '${name}' not found in 'tools'.`);
  return { value: { mode: "named", name } };
}

/** `POST /v1/chat/completions`, read leniently like the real API; the first broken rule is reported, naming its parameter. */
export function chatRequest(body: unknown): Parsed<ChatRequest> {
  const fields: Json = obj(body);
  const model = str(fields.model);
  if (!model) return missing("model");
  const messages = messagesOf(fields.messages);
  if ("error" in messages) return messages;
  // A stream needs server-sent events, which the simulator does not speak; refusing beats a body the SDK cannot read.
  if (fields.stream === true) return invalid("stream", "The simulator does not stream; send stream: false or leave it out.", "unsupported_value");
  const format = formatOf(fields.response_format);
  if ("error" in format) return format;
  const tools = toolsOf(fields.tools);
  if ("error" in tools) return tools;
  const toolChoice = toolChoiceOf(fields.tool_choice, tools.value);
  if ("error" in toolChoice) return toolChoice;
  return { value: { model, messages: messages.value, format: format.value, tools: tools.value, toolChoice: toolChoice.value } };
}

/** Read from the raw body, so requests that are refused are logged by kind too. */
export function requestKind(body: unknown): OpenAiRequestKind {
  const fields = obj(body);
  const format = obj(fields.response_format).type;
  if (format === "json_schema" || format === "json_object") return "structured";
  return Array.isArray(fields.tools) && fields.tools.length > 0 ? "tools" : "text";
}

export function schemaName(body: unknown): string | undefined {
  const name = obj(obj(obj(body).response_format).json_schema).name;
  return typeof name === "string" ? name : undefined;
}

/**
 * The text the keyword rules read: the user messages. System prompts describe the task and
 * usually name every outcome, so they are read only when there is no user message.
 */
export function conversationText(messages: readonly ChatMessage[]): string {
  const said = (roles: string[]) =>
    messages
      .filter((m) => roles.includes(m.role))
      .map((m) => m.text)
      .join("\n");
  return said(["user"]) || said(["system", "developer"]);
}

export function lastUserText(messages: readonly ChatMessage[]): string {
  return messages.findLast((m) => m.role === "user")?.text ?? "";
}
