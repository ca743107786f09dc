import type { Logger } from "@parley/logger";
import { counter, histogram } from "@parley/metrics";
import { newId } from "@parley/ids";
import type { AgentTurn, Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { readOptOut } from "@parley/consent-projection";
import type { LeadsClient } from "../conversations/conversations";
import { statusRank } from "../conversations/message-status";
import { SendLaterError, type MessageSender } from "../messaging/message-sender";
import type { OpenAiModels } from "@parley/integrations/openai";
import type { AgentTools, ToolEffects } from "./agent-tools";
import { AGENT_TOOLS, HISTORY_MESSAGES, historyMessages, systemPrompt, type ChatMessage } from "./prompt";
import type { ClaimedConversation } from "./turn-queue";

const turns = counter("parley_whatsapp_turns_total", "Agent turns by outcome", ["outcome"]);
const generateSeconds = histogram("parley_whatsapp_turn_generate_seconds", "Time spent in the LLM per turn", [], [0.25, 0.5, 1, 2.5, 5, 10, 20, 40]);
const overheadSeconds = histogram("parley_whatsapp_turn_overhead_seconds", "Inbound message to reply accepted by the provider, minus LLM time and the quiet period", [], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);

/** Tool rounds per turn: a model that keeps calling tools is cut off rather than looping. */
const MAX_TOOL_ROUNDS = 4;

export interface TurnRunnerOptions {
  /** LLM attempts per turn (each with the SDK's own retries) before the turn fails. */
  maxAttempts: number;
  /** Back-off between attempts: base × 2^(attempt−1), capped at a minute. */
  retryBaseMs: number;
  quietMs: number;
}

export type TurnResult = { done: true } | { done: false; retryInMs: number };

/** The LLM could not answer now (after the SDK's own retries). */
class GenerationUnavailable extends Error {}

/**
 * One agent turn, in three durable steps on the turn row:
 * 1. generate — the LLM's answer (after its tool calls) is stored as a pending outbound message
 *    together with the turn's `generated` status, so a retry of a later step never calls it again;
 * 2. send — MessageSender, at most once per message;
 * 3. persist — the turn is `sent`, the conversation's last message time moves.
 * A turn resumed after a crash continues from the step its row says.
 */
export class TurnRunner {
  constructor(
    private readonly deps: { db: PrismaClient; leads: LeadsClient; models: OpenAiModels; tools: AgentTools; sender: MessageSender; logger: Logger },
    private readonly options: TurnRunnerOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(conversation: ClaimedConversation): Promise<TurnResult> {
    const { db } = this.deps;
    let turn = (await db.agentTurn.findFirst({ where: { conversationId: conversation.id, status: { in: ["generating", "generated", "sending"] } }, orderBy: { createdAt: "desc" } })) ?? (await this.open(conversation));
    if (!turn) return { done: true };
    if (turn.status === "generating") {
      const projection = await readOptOut(db, turn.workspaceId, turn.leadId);
      if (projection.optedOut) return this.close(turn, "skipped", "the lead has opted out");
      try {
        turn = await this.generate(turn);
      } catch (err) {
        if (!(err instanceof GenerationUnavailable)) throw err;
        if (turn.llmAttempts + 1 >= this.options.maxAttempts) return this.close(turn, "failed", err.message);
        turns.inc({ outcome: "llm_retry" });
        return { done: false, retryInMs: Math.min(60_000, this.options.retryBaseMs * 2 ** turn.llmAttempts) };
      }
    }
    if (turn.status === "generated") {
      if (!turn.replyMessageId) return this.close(turn, "skipped", "nothing to send");
      await db.agentTurn.update({ where: { id: turn.id }, data: { status: "sending", updatedAt: this.now() } });
      try {
        const outcome = await this.deps.sender.send(turn.replyMessageId);
        if (!outcome.sent && outcome.reason !== "already_sent") return this.close(turn, outcome.reason === "opted_out" ? "skipped" : "failed", outcome.message.errorCode ?? outcome.reason);
        this.observeOverhead(turn);
        return this.close(turn, "sent");
      } catch (err) {
        if (!(err instanceof SendLaterError)) throw err;
        await db.agentTurn.update({ where: { id: turn.id }, data: { status: "generated", updatedAt: this.now() } });
        turns.inc({ outcome: "send_retry" });
        return { done: false, retryInMs: err.retryAfterMs ?? this.options.retryBaseMs };
      }
    }
    // `sending` found at the start of a turn: a replica died during the provider call. Sending again
    // could deliver twice; the provider's status callback settles the message instead.
    return this.close(turn, "unconfirmed", "the process stopped while the provider was being called");
  }

  /**
   * Step 0, under the conversation's row lock (which an inbound message's transaction also takes):
   * the unanswered inbound messages are bound to a new turn, and the request they made is cleared.
   * A message committed after this reads as a new request, for the next turn.
   */
  private async open(conversation: ClaimedConversation): Promise<AgentTurn | undefined> {
    return this.deps.db.$transaction(async (tx) => {
      await tx.$queryRawUnsafe("select id from conversations where id = $1 for update", conversation.id);
      const through = this.now();
      await tx.conversation.update({ where: { id: conversation.id }, data: { turnRequestedAt: null } });
      const unanswered = await tx.message.findMany({ where: { conversationId: conversation.id, direction: "inbound", turnId: null, createdAt: { lte: through } }, select: { id: true } });
      if (!unanswered.length) return undefined;
      const turn = await tx.agentTurn.create({
        data: { id: newId("turn"), workspaceId: conversation.workspaceId, conversationId: conversation.id, leadId: conversation.leadId, status: "generating", inboundThrough: through, createdAt: through, updatedAt: through },
      });
      await tx.message.updateMany({ where: { id: { in: unanswered.map((m) => m.id) } }, data: { turnId: turn.id } });
      return turn;
    });
  }

  private async generate(turn: AgentTurn): Promise<AgentTurn> {
    const { db, leads, models, tools } = this.deps;
    await db.agentTurn.update({ where: { id: turn.id }, data: { llmAttempts: { increment: 1 }, updatedAt: this.now() } });
    const [{ workspace }, { lead }, model, recent] = await Promise.all([
      leads.getWorkspace({ workspaceId: turn.workspaceId }),
      leads.getLead({ workspaceId: turn.workspaceId, leadId: turn.leadId, timelineLimit: 0 }),
      models.forWorkspace(turn.workspaceId),
      db.message.findMany({ where: { conversationId: turn.conversationId, createdAt: { lte: turn.inboundThrough } }, orderBy: { createdAt: "desc" }, take: HISTORY_MESSAGES }),
    ]);
    if (!model) throw new GenerationUnavailable("no OpenAI key: the workspace has no openai integration and the operator set none");
    const messages: ChatMessage[] = [{ role: "system", content: systemPrompt(workspace!, lead!, this.now()) }, ...historyMessages(recent.reverse())];
    const effects: ToolEffects = { optedOut: false, handedOff: false };
    const toolLog: { name: string; arguments: string; result: unknown }[] = [];
    let usage = { prompt: 0, completion: 0 };
    let reply = "";
    const started = performance.now();
    for (let round = 0; round <= MAX_TOOL_ROUNDS; round++) {
      let completion;
      try {
        completion = await model.client.chat.completions.create({ model: model.model, messages, tools: round < MAX_TOOL_ROUNDS ? AGENT_TOOLS : undefined });
      } catch (err) {
        throw new GenerationUnavailable(err instanceof Error ? err.message : String(err), { cause: err });
      }
      usage = { prompt: usage.prompt + (completion.usage?.prompt_tokens ?? 0), completion: usage.completion + (completion.usage?.completion_tokens ?? 0) };
      const choice = completion.choices[0]?.message;
      const calls = (choice?.tool_calls ?? []).filter((c) => c.type === "function");
      if (!calls.length) {
        reply = choice?.content?.trim() ?? "";
        break;
      }
      messages.push({ role: "assistant", content: choice?.content ?? null, tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.function.name, arguments: c.function.arguments } })) });
      for (const call of calls) {
        const result = await tools.run({ workspaceId: turn.workspaceId, leadId: turn.leadId, conversationId: turn.conversationId }, call.function.name, call.function.arguments, effects);
        toolLog.push({ name: call.function.name, arguments: call.function.arguments, result });
        messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
      }
    }
    const generateMs = Math.round(performance.now() - started);
    generateSeconds.observe(generateMs / 1000);
    // Nothing is sent to a lead who just opted out, even the model's goodbye.
    const send = reply && !effects.optedOut;
    return db.$transaction(async (tx: Prisma.TransactionClient) => {
      const conversation = await tx.conversation.findUniqueOrThrow({ where: { id: turn.conversationId } });
      const now = this.now();
      const message = send
        ? await tx.message.create({
            data: {
              id: newId("msg"),
              workspaceId: turn.workspaceId,
              conversationId: turn.conversationId,
              leadId: turn.leadId,
              direction: "outbound",
              provider: conversation.provider,
              text: reply,
              status: "pending",
              statusRank: statusRank("pending"),
              origin: "agent",
              turnId: turn.id,
              createdAt: now,
              updatedAt: now,
            },
          })
        : undefined;
      return tx.agentTurn.update({
        where: { id: turn.id },
        data: {
          status: "generated",
          replyMessageId: message?.id ?? null,
          toolCalls: toolLog as Prisma.InputJsonArray,
          model: model.model,
          promptTokens: usage.prompt,
          completionTokens: usage.completion,
          generateMs,
          updatedAt: now,
        },
      });
    });
  }

  private async close(turn: AgentTurn, status: "sent" | "skipped" | "failed" | "unconfirmed", error?: string): Promise<TurnResult> {
    await this.deps.db.agentTurn.update({ where: { id: turn.id }, data: { status, error: error ?? null, updatedAt: this.now() } });
    turns.inc({ outcome: status });
    if (status === "failed") this.deps.logger.warn({ turn_id: turn.id, workspace_id: turn.workspaceId, error }, "agent turn failed");
    return { done: true };
  }

  /** Inbound → reply accepted, without what is not ours to speed up: the LLM and the quiet period. */
  private observeOverhead(turn: AgentTurn): void {
    const sentAt = this.now().getTime();
    void this.deps.db.message
      .findFirst({ where: { turnId: turn.id, direction: "inbound" }, orderBy: { createdAt: "desc" }, select: { createdAt: true } })
      .then((last) => {
        if (last) overheadSeconds.observe(Math.max(0, sentAt - last.createdAt.getTime() - (turn.generateMs ?? 0) - this.options.quietMs) / 1000);
      })
      .catch((err: unknown) => this.deps.logger.debug({ err }, "turn overhead not observed"));
  }
}
