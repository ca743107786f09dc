import type { InboundEvent } from "@parley/bus";
import type { Logger } from "@parley/logger";
import { events } from "@parley/proto";
import type { CampaignsDomain } from "./campaigns";

/**
 * `POST /v1/leads/imports?campaign_id=`: each batch leads applies is queued into the campaign while
 * the rest of the file is still read. Queuing is idempotent (a lead is in a campaign once), so it
 * runs outside the inbox transaction; a closed or unknown campaign is skipped with a log line.
 */
export function campaignImportConsumer(campaigns: CampaignsDomain, logger: Logger) {
  return {
    durable: "voice-campaign-imports",
    domain: "leads" as const,
    events: ["import_batch"],
    async handler(event: InboundEvent): Promise<void> {
      const batch = events.LeadsImported.decode(event.data);
      const result = await campaigns.appendImported(batch.workspaceId, batch.campaignId, batch.leadIds);
      if (!result) logger.warn({ import_id: batch.importId, campaign_id: batch.campaignId }, "imported leads not queued: the campaign is closed or unknown");
      else logger.info({ import_id: batch.importId, campaign_id: batch.campaignId, added: result.added, rows: `${batch.firstRow}-${batch.lastRow}` }, "imported leads queued");
    },
  };
}
