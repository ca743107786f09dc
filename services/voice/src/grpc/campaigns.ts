import { requireField } from "@parley/errors";
import type { voiceV1 } from "@parley/proto";
import type { CampaignAction, CampaignsDomain, CampaignView, LeadFilter } from "../dialer/campaigns";

export function toCampaign({ campaign: c, progress }: CampaignView): voiceV1.Campaign {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    name: c.name,
    status: c.status,
    assistantId: c.assistantId,
    schedule: c.schedule as Record<string, unknown>,
    maxConcurrency: c.maxConcurrency ?? 0,
    retryPolicy: c.retryPolicy as Record<string, unknown>,
    progress,
    pausedReason: c.pausedReason ?? "",
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    startedAt: c.startedAt ?? undefined,
    finishedAt: c.finishedAt ?? undefined,
  };
}

const filterOf = (f?: voiceV1.LeadFilter): LeadFilter | undefined => (f ? { status: f.status, tag: f.tag, query: f.query } : undefined);

export function campaignRpcs(campaigns: CampaignsDomain) {
  return {
    async createCampaign(req: voiceV1.CreateCampaignRequest): Promise<voiceV1.CreateCampaignResponse> {
      const view = await campaigns.create({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        name: requireField(req.name, "name"),
        assistantId: req.assistantId || undefined,
        leadIds: req.leadIds,
        leadFilter: filterOf(req.leadFilter),
        schedule: req.schedule ?? {},
        maxConcurrency: req.maxConcurrency || undefined,
        retryPolicy: req.retryPolicy ?? {},
      });
      return { campaign: toCampaign(view) };
    },
    async getCampaign(req: voiceV1.GetCampaignRequest): Promise<voiceV1.GetCampaignResponse> {
      return { campaign: toCampaign(await campaigns.get(requireField(req.workspaceId, "workspace_id"), requireField(req.campaignId, "campaign_id"))) };
    },
    async listCampaigns(req: voiceV1.ListCampaignsRequest): Promise<voiceV1.ListCampaignsResponse> {
      const page = await campaigns.list({ workspaceId: requireField(req.workspaceId, "workspace_id"), status: req.status || undefined, limit: Math.min(Math.max(req.limit || 50, 1), 200), cursor: req.cursor || undefined });
      return { campaigns: page.items.map(toCampaign), nextCursor: page.nextCursor };
    },
    async listCampaignLeads(req: voiceV1.ListCampaignLeadsRequest): Promise<voiceV1.ListCampaignLeadsResponse> {
      const page = await campaigns.listLeads({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        campaignId: requireField(req.campaignId, "campaign_id"),
        state: req.state || undefined,
        limit: Math.min(Math.max(req.limit || 50, 1), 200),
        cursor: req.cursor || undefined,
      });
      return {
        leads: page.items.map((l) => ({
          leadId: l.leadId,
          state: l.state,
          attempts: l.attempts,
          lastOutcome: l.lastOutcome ?? "",
          finalOutcome: l.finalOutcome ?? "",
          dueAt: l.state === "queued" ? l.dueAt : undefined,
          callId: l.callId ?? "",
          updatedAt: l.updatedAt,
        })),
        nextCursor: page.nextCursor,
      };
    },
    async addCampaignLeads(req: voiceV1.AddCampaignLeadsRequest): Promise<voiceV1.AddCampaignLeadsResponse> {
      const result = await campaigns.append(requireField(req.workspaceId, "workspace_id"), requireField(req.campaignId, "campaign_id"), req.leadIds, filterOf(req.leadFilter));
      return { added: result.added, alreadyQueued: result.alreadyQueued, notFound: result.notFound, campaign: toCampaign(result) };
    },
    async changeCampaignStatus(req: voiceV1.ChangeCampaignStatusRequest): Promise<voiceV1.ChangeCampaignStatusResponse> {
      const view = await campaigns.change(requireField(req.workspaceId, "workspace_id"), requireField(req.campaignId, "campaign_id"), requireField(req.action, "action") as CampaignAction);
      return { campaign: toCampaign(view) };
    },
  };
}
