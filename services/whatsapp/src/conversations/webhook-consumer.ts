import type { InboundEvent, SqlTx } from "@parley/bus";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import type { Prisma } from "../generated/prisma/client.ts";
import type { InboundMessage, StatusUpdate } from "../providers/port";
import { parseMetaWebhook, parseTwilioInbound, parseTwilioStatus } from "../providers/webhooks";
import type { Conversations } from "./conversations";
import type { StatusReactions } from "./status-reactions";

/** The form field the gateway adds to a Twilio status callback: our message id from the callback URL. */
const PARLEY_MESSAGE_PARAM = "ParleyMessageId";

const applied = counter("parley_whatsapp_webhooks_applied_total", "WhatsApp webhooks applied by kind and outcome", ["kind", "outcome"]);

type Parsed = { inbound: InboundMessage[]; statuses: { update: StatusUpdate; ourMessageId?: string }[] };

function parse(kind: string, data: Uint8Array): Parsed {
  const text = new TextDecoder().decode(data);
  if (kind === "twilio_whatsapp") return { inbound: [parseTwilioInbound(Object.fromEntries(new URLSearchParams(text)))], statuses: [] };
  if (kind === "twilio_status") {
    const params = Object.fromEntries(new URLSearchParams(text));
    return { inbound: [], statuses: [{ update: parseTwilioStatus(params), ourMessageId: params[PARLEY_MESSAGE_PARAM] }] };
  }
  const body: unknown = JSON.parse(text);
  const changes = parseMetaWebhook(body);
  // Meta echoes a send's biz_opaque_callback_data (our message id) on its statuses.
  const echoed = new Map<string, string>();
  for (const entry of (body as { entry?: { changes?: { value?: { statuses?: { id?: string; biz_opaque_callback_data?: string }[] } }[] }[] }).entry ?? []) {
    for (const change of entry.changes ?? []) for (const s of change.value?.statuses ?? []) if (s.id && s.biz_opaque_callback_data) echoed.set(s.id, s.biz_opaque_callback_data);
  }
  return {
    inbound: changes.flatMap((c) => c.messages),
    statuses: changes.flatMap((c) => c.statuses.map((update) => ({ update, ourMessageId: echoed.get(update.providerMessageId) }))),
  };
}

/**
 * Applies WhatsApp webhooks from the WEBHOOKS stream, each in the consumer's inbox transaction and
 * logged in webhook_logs, so a re-delivery changes nothing. A message's row lock and forward-only
 * statuses make the order irrelevant, so several are applied at a time.
 */
export function whatsappWebhookConsumer(conversations: Conversations, reactions: StatusReactions, concurrency: number, logger: Logger) {
  return {
    durable: "whatsapp-webhooks",
    domain: "webhooks" as const,
    events: ["twilio_whatsapp", "twilio_status", "meta_whatsapp"],
    concurrency,
    async handler(event: InboundEvent, sqlTx: SqlTx): Promise<void> {
      const tx = sqlTx as unknown as Prisma.TransactionClient;
      const kind = event.type.split(".")[1] ?? "";
      const parsed = parse(kind, event.data);
      const outcomes: string[] = [];
      let providerMessageId: string | undefined;
      for (const inbound of parsed.inbound) {
        const { outcome } = await conversations.receive(tx, event.workspaceId, inbound);
        outcomes.push(outcome);
        providerMessageId = inbound.providerMessageId;
        applied.inc({ kind: "message", outcome });
      }
      for (const { update, ourMessageId } of parsed.statuses) {
        const result = await conversations.applyStatus(tx, event.workspaceId, update, ourMessageId);
        outcomes.push(result.outcome);
        providerMessageId = update.providerMessageId;
        applied.inc({ kind: "status", outcome: result.outcome });
        if (result.outcome === "unknown_message") logger.warn({ provider: update.provider, provider_message_id: update.providerMessageId, workspace_id: event.workspaceId }, "status for a message we do not know");
        if (result.outcome === "applied" && result.message && update.status === "failed") await reactions.onFailed(tx, result.message, update);
      }
      await tx.webhookLog.create({
        data: {
          eventId: event.id,
          provider: kind.startsWith("twilio") ? "twilio" : "meta",
          workspaceId: event.workspaceId,
          kind,
          providerMessageId: providerMessageId ?? null,
          outcome: outcomes.join(",") || "ignored",
          body: kind === "meta_whatsapp" ? (JSON.parse(new TextDecoder().decode(event.data)) as Prisma.InputJsonValue) : Object.fromEntries(new URLSearchParams(new TextDecoder().decode(event.data))),
        },
      });
    },
  };
}
