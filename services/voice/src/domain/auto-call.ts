import type { InboundEvent } from "@parley/bus";
import { ConflictError, PreconditionError, UpstreamError } from "@parley/errors";
import type { Logger } from "@parley/logger";
import { counter } from "@parley/metrics";
import { events } from "@parley/proto";
import type { CallsDomain, LeadsClient } from "./calls";

const autoCalls = counter("parley_voice_auto_calls_total", "Calls placed (or not) for new leads", ["outcome"]);

/**
 * `auto_call_new_leads`: a new lead is called at once. Placing goes through the same checks as a
 * manual call; a lead that may not be called now (opted out, outside calling hours) is skipped
 * with a log line, a full cap is retried with the consumer's back-off, and a redelivered
 * lead_created finds its call (trigger id) instead of dialing twice. Leads from a CSV import are
 * not called one by one.
 */
export function autoCallConsumer(calls: CallsDomain, leads: LeadsClient, logger: Logger) {
  return {
    durable: "voice-auto-call",
    domain: "leads" as const,
    events: ["lead_created"],
    async handler(event: InboundEvent): Promise<void> {
      const created = events.LeadCreated.decode(event.data);
      const lead = created.lead;
      // An imported list is called through a campaign (imports take ?campaign_id=), not all at once.
      if (!lead || lead.source === "import") return;
      const { workspace } = await leads.getWorkspace({ workspaceId: created.workspaceId });
      if ((workspace?.settings as { auto_call_new_leads?: boolean } | undefined)?.auto_call_new_leads !== true) return;
      try {
        const call = await calls.place({ workspaceId: created.workspaceId, leadId: lead.id, variables: {}, triggerId: `lead_created:${event.id}` });
        autoCalls.inc({ outcome: "placed" });
        logger.info({ call_id: call.id, lead_id: lead.id, workspace_id: created.workspaceId }, "new lead called");
      } catch (err) {
        if (err instanceof ConflictError) return autoCalls.inc({ outcome: "already_placed" });
        // Recorded on the call as failed, with the provider's message; retries belong to campaigns.
        if (err instanceof UpstreamError) return autoCalls.inc({ outcome: "provider_refused" });
        if (err instanceof PreconditionError) {
          autoCalls.inc({ outcome: "skipped" });
          logger.info({ lead_id: lead.id, reason: err.message }, "new lead not called");
          return;
        }
        throw err;
      }
    },
  };
}
