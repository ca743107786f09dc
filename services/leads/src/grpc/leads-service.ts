import type { AsyncService } from "@parley/grpc";
import { leadsV1 } from "@parley/proto";
import { requireField } from "@parley/errors";
import type { LeadsDomain } from "../domain/leads";
import type { WorkspacesDomain } from "../domain/workspaces";
import type { LeadImports } from "../imports/lead-imports";
import { importRpcs } from "./import-rpcs";
import { fromChannel, fromRole, pageLimit, toLead, toMember, toTimelineEntry, toWorkspace } from "./mappers";

export const LEADS_SERVICE_NAME = "parley.leads.v1.LeadsService";

export function leadsService(leads: LeadsDomain, workspaces: WorkspacesDomain, imports: LeadImports): AsyncService<typeof leadsV1.LeadsServiceService> {
  return {
    ...importRpcs(imports),
    async createWorkspace(req) {
      const ws = await workspaces.create({ name: req.name, timezone: req.timezone, profile: req.profile, settings: req.settings });
      return { workspace: toWorkspace(ws) };
    },
    async getWorkspace(req) {
      return { workspace: toWorkspace(await workspaces.get(requireField(req.workspaceId, "workspace_id"))) };
    },
    async updateWorkspace(req) {
      const ws = await workspaces.update({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        name: req.name,
        timezone: req.timezone,
        profile: req.profile,
        settings: req.settings,
      });
      return { workspace: toWorkspace(ws) };
    },
    async addMember(req) {
      const member = await workspaces.addMember(requireField(req.workspaceId, "workspace_id"), req.email, req.name, fromRole(req.role));
      return { member: toMember(member) };
    },
    async listMembers(req) {
      return { members: (await workspaces.listMembers(requireField(req.workspaceId, "workspace_id"))).map(toMember) };
    },
    async createLead(req) {
      const lead = await leads.create({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        phone: requireField(req.phone, "phone"),
        name: req.name,
        email: req.email,
        businessName: req.businessName,
        timezone: req.timezone,
        tags: req.tags,
        metadata: req.metadata,
        formResponses: req.formResponses,
        source: req.source,
      });
      return { lead: toLead(lead) };
    },
    async getLead(req) {
      const workspaceId = requireField(req.workspaceId, "workspace_id");
      const leadId = requireField(req.leadId, "lead_id");
      // Both reads are scoped by workspace, so they can run together; the lead decides 404.
      const [lead, recent] = await Promise.all([
        leads.get(workspaceId, leadId),
        req.timelineLimit > 0 ? leads.recentTimeline(workspaceId, leadId, pageLimit(req.timelineLimit)) : [],
      ]);
      return { lead: toLead(lead), recentTimeline: recent.map(toTimelineEntry) };
    },
    async listLeads(req) {
      const page = await leads.list({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        status: req.status,
        tag: req.tag,
        query: req.query,
        ids: req.ids.length ? req.ids : undefined,
        limit: pageLimit(req.limit),
        cursor: req.cursor || undefined,
      });
      return { leads: page.items.map(toLead), nextCursor: page.nextCursor };
    },
    async updateLead(req) {
      const lead = await leads.update({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        leadId: requireField(req.leadId, "lead_id"),
        phone: req.phone,
        name: req.name,
        email: req.email,
        businessName: req.businessName,
        timezone: req.timezone,
        status: req.status,
        tags: req.replaceTags ? req.tags : undefined,
        metadata: req.metadata,
        formResponses: req.formResponses,
        clearFields: req.clearFields,
      });
      return { lead: toLead(lead) };
    },
    async deleteLead(req) {
      await leads.delete(requireField(req.workspaceId, "workspace_id"), requireField(req.leadId, "lead_id"));
      return {};
    },
    async getTimeline(req) {
      const page = await leads.timeline(
        requireField(req.workspaceId, "workspace_id"),
        requireField(req.leadId, "lead_id"),
        pageLimit(req.limit),
        req.cursor || undefined,
      );
      return { entries: page.items.map(toTimelineEntry), nextCursor: page.nextCursor };
    },
    async recordOptOut(req) {
      const lead = await leads.optOut(
        requireField(req.workspaceId, "workspace_id"),
        requireField(req.leadId, "lead_id"),
        req.channels.map(fromChannel),
        req.reason,
        req.source || "api",
      );
      return { lead: toLead(lead) };
    },
    async checkConsent(req) {
      return leads.consent(requireField(req.workspaceId, "workspace_id"), requireField(req.leadId, "lead_id"), fromChannel(req.channel));
    },
  };
}
