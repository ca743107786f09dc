import type { AssistantReply } from "./completions";
import { conversationText, lastUserText, type ChatRequest, type ToolSpec } from "./request";
import { ConversationFacts } from "./rules";
import { fillSchema } from "./schema-fill";
import { FOLLOW_UP_REPLY, replyToToolResult, TEXT_REPLY, toolFor } from "./tool-rules";

/** The tool to call: the one `tool_choice` names, else the one the last user message asks for (any tool at all when one is required). */
function chosenTool({ toolChoice, tools, messages }: ChatRequest): ToolSpec | undefined {
  if (toolChoice.mode === "none") return undefined;
  const asked = toolFor(lastUserText(messages), tools.map((tool) => tool.name));
  const name = toolChoice.mode === "named" ? toolChoice.name : (asked ?? (toolChoice.mode === "required" ? tools[0]?.name : undefined));
  return tools.find((tool) => tool.name === name);
}

function toolReply(request: ChatRequest, facts: ConversationFacts): AssistantReply {
  const last = request.messages.at(-1);
  if (last?.role === "tool") return { content: replyToToolResult(last.text) };
  const tool = chosenTool(request);
  if (!tool) return { content: FOLLOW_UP_REPLY };
  return { tool: tool.name, arguments: JSON.stringify(fillSchema(tool.parameters, facts)) };
}

/** What a well-behaved model answers: JSON for the schema, a tool call, or a line of text. */
export function replyTo(request: ChatRequest, now: Date): AssistantReply {
  const facts = new ConversationFacts(conversationText(request.messages), now);
  if (request.format.type === "json_schema") return { content: JSON.stringify(fillSchema(request.format.schema, facts)) };
  if (request.format.type === "json_object") return { content: JSON.stringify({ reply: TEXT_REPLY }) };
  return request.tools.length ? toolReply(request, facts) : { content: TEXT_REPLY };
}
