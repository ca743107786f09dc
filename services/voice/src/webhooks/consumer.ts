import type { InboundEvent, SqlTx } from "@parley/bus";
import type { Prisma } from "../generated/prisma/client.ts";
import type { CallsDomain } from "../domain/calls";
import { normalizeWebhook } from "./normalize";

/**
 * Applies provider webhooks from the WEBHOOKS stream: each one logged in webhook_logs and applied
 * to its call in the same transaction as the consumer's inbox row, so a re-delivery changes
 * nothing, and CallsDomain's forward-only merge makes the order irrelevant (so they are applied
 * several at a time).
 */
export function webhookConsumer(calls: CallsDomain, concurrency: number) {
  return {
    durable: "voice-webhooks",
    domain: "webhooks" as const,
    events: ["vapi", "bolna", "retell"],
    // Safe in parallel: each update locks its call row and merges forward-only.
    concurrency,
    async handler(event: InboundEvent, sqlTx: SqlTx): Promise<void> {
      // runService's transactions are Prisma interactive transactions.
      const tx = sqlTx as unknown as Prisma.TransactionClient;
      const provider = event.type.split(".")[1] ?? "";
      const body: unknown = JSON.parse(new TextDecoder().decode(event.data));
      const webhook = normalizeWebhook(provider, body);
      const call = await calls.findForWebhook(tx, event.workspaceId, provider, webhook);
      const outcome = !webhook.update ? "ignored" : !call ? "unknown_call" : "applied";
      if (call && webhook.update) await calls.applyIn(tx, call.id, webhook.update, "webhook");
      await tx.webhookLog.create({
        data: {
          eventId: event.id,
          provider,
          workspaceId: event.workspaceId,
          type: webhook.type,
          callId: call?.id ?? null,
          providerCallId: webhook.providerCallId ?? null,
          outcome,
          body: body as Prisma.InputJsonValue,
        },
      });
    },
  };
}
