// The agent's tools in a conversation. Each answers with a JSON object the model reads back; a tool
// that cannot do what was asked says so in its result, never by failing the turn.
import { z } from "zod";
import type { GrpcClient } from "@parley/grpc";
import { counter } from "@parley/metrics";
import { leadsV1, type voiceV1 } from "@parley/proto";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import type { LeadsClient } from "../conversations/conversations";

export type VoiceClient = GrpcClient<typeof voiceV1.VoiceServiceService>["call"];
type Result = Record<string, unknown>;

const toolCalls = counter("parley_whatsapp_tool_calls_total", "Agent tool calls answered", ["tool", "outcome"]);
const qualificationArgs = z.object({ answers: z.record(z.string(), z.unknown()) });
const reasonArgs = z.object({ reason: z.string().max(500).optional() });

export interface ToolSubject {
  workspaceId: string;
  leadId: string;
  conversationId: string;
}

/** What the turn must know after its tools ran: nothing more may be sent, or a person takes over. */
export interface ToolEffects {
  optedOut: boolean;
  handedOff: boolean;
}

export class AgentTools {
  constructor(
    private readonly db: PrismaClient,
    private readonly leads: LeadsClient,
    private readonly voice: VoiceClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(subject: ToolSubject, name: string, argumentsJson: string, effects: ToolEffects): Promise<Result> {
    let result: Result;
    try {
      const args: unknown = argumentsJson ? JSON.parse(argumentsJson) : {};
      result = await this.dispatch(subject, name, args, effects);
    } catch (err) {
      result = { ok: false, error: err instanceof SyntaxError ? "The arguments were not valid JSON." : "The tool is unavailable right now." };
    }
    toolCalls.inc({ tool: name, outcome: result.ok === false ? "refused" : "ok" });
    return result;
  }

  private async dispatch(subject: ToolSubject, name: string, args: unknown, effects: ToolEffects): Promise<Result> {
    switch (name) {
      case "check_availability":
      case "book_appointment": {
        // Voice owns the calendar (built-in or Cal.com); it books for the lead, with no call.
        const { results } = await this.voice.handleToolCalls({
          workspaceId: subject.workspaceId,
          provider: "whatsapp",
          callId: "",
          providerCallId: "",
          leadId: subject.leadId,
          toolCalls: [{ id: `${subject.conversationId}:${name}`, name, argumentsJson: JSON.stringify(args) }],
        });
        return JSON.parse(results[0]?.resultJson ?? "{}") as Result;
      }
      case "record_qualification": {
        const parsed = qualificationArgs.safeParse(args);
        if (!parsed.success) return { ok: false, error: "answers: an object of question key → answer" };
        const conversation = await this.db.conversation.findUniqueOrThrow({ where: { id: subject.conversationId } });
        const merged = { ...(conversation.qualification as Record<string, unknown>), ...parsed.data.answers };
        await this.db.conversation.update({ where: { id: subject.conversationId }, data: { qualification: merged as Prisma.InputJsonObject } });
        return { ok: true, recorded: Object.keys(parsed.data.answers) };
      }
      case "opt_out": {
        const parsed = reasonArgs.safeParse(args);
        await this.leads.recordOptOut({
          workspaceId: subject.workspaceId,
          leadId: subject.leadId,
          channels: [leadsV1.Channel.CHANNEL_VOICE, leadsV1.Channel.CHANNEL_WHATSAPP],
          reason: (parsed.success && parsed.data.reason) || "asked in a WhatsApp conversation",
          source: `whatsapp:${subject.conversationId}`,
        });
        effects.optedOut = true;
        return { ok: true, message: "Opted out of calls and messages; nothing more will be sent." };
      }
      case "handoff_to_human": {
        await this.db.conversation.update({ where: { id: subject.conversationId }, data: { handedOffAt: this.now() } });
        effects.handedOff = true;
        return { ok: true, message: "A person from the team will continue this conversation." };
      }
      default:
        return { ok: false, error: `Unknown tool ${name}.` };
    }
  }
}
