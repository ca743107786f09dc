import { emitEvent, emitEvents, type SqlTx } from "@parley/bus";
import { events } from "@parley/proto";
import type { Lead, Workspace } from "../generated/prisma/client.ts";
import type { Settings } from "../domain/workspace-settings";

function snapshot(lead: Lead): events.LeadSnapshot {
  return events.LeadSnapshot.fromPartial({
    id: lead.id,
    workspaceId: lead.workspaceId,
    phone: lead.phone,
    name: lead.name ?? "",
    email: lead.email ?? "",
    businessName: lead.businessName ?? "",
    timezone: lead.timezone ?? "",
    status: lead.status,
    tags: lead.tags,
    metadata: lead.metadata as Record<string, unknown>,
    source: lead.source,
    optedOutVoice: lead.optedOutVoice,
    optedOutWhatsapp: lead.optedOutWhatsapp,
  });
}

// Every emitter writes into the outbox inside the caller's transaction: the event exists if and only if
// the change does.
function emit(tx: SqlTx, event: string, workspaceId: string, encode: (eventId: string, occurredAt: Date) => Uint8Array): Promise<string> {
  return emitEvent(tx, { domain: "leads", event, workspaceId, encode });
}

export function emitLeadCreated(tx: SqlTx, lead: Lead): Promise<string> {
  return emit(tx, "lead_created", lead.workspaceId, (eventId, occurredAt) =>
    events.LeadCreated.encode({ eventId, occurredAt, workspaceId: lead.workspaceId, lead: snapshot(lead) }).finish(),
  );
}

/** lead_created for many leads in one statement (an import's batch). */
export function emitLeadsCreated(tx: SqlTx, leads: Lead[]): Promise<string[]> {
  return emitEvents(
    tx,
    leads.map((lead) => ({
      domain: "leads",
      event: "lead_created",
      workspaceId: lead.workspaceId,
      encode: (eventId, occurredAt) => events.LeadCreated.encode({ eventId, occurredAt, workspaceId: lead.workspaceId, lead: snapshot(lead) }).finish(),
    })),
  );
}

export interface ImportBatch {
  workspaceId: string;
  importId: string;
  campaignId: string;
  leadIds: string[];
  firstRow: number;
  lastRow: number;
}

export function emitLeadsImported(tx: SqlTx, batch: ImportBatch): Promise<string> {
  return emit(tx, "import_batch", batch.workspaceId, (eventId, occurredAt) => events.LeadsImported.encode({ eventId, occurredAt, ...batch }).finish());
}

export function emitLeadUpdated(tx: SqlTx, lead: Lead, changedFields: string[]): Promise<string> {
  return emit(tx, "lead_updated", lead.workspaceId, (eventId, occurredAt) =>
    events.LeadUpdated.encode({ eventId, occurredAt, workspaceId: lead.workspaceId, lead: snapshot(lead), changedFields }).finish(),
  );
}

export function emitLeadDeleted(tx: SqlTx, workspaceId: string, leadId: string): Promise<string> {
  return emit(tx, "lead_deleted", workspaceId, (eventId, occurredAt) =>
    events.LeadDeleted.encode({ eventId, occurredAt, workspaceId, leadId }).finish(),
  );
}

export function emitLeadOptedOut(tx: SqlTx, lead: Lead, channels: string[], reason: string, source: string): Promise<string> {
  return emit(tx, "lead_opted_out", lead.workspaceId, (eventId, occurredAt) =>
    events.LeadOptedOut.encode({
      eventId,
      occurredAt,
      workspaceId: lead.workspaceId,
      leadId: lead.id,
      phone: lead.phone,
      channels,
      reason,
      source,
    }).finish(),
  );
}

export function emitWorkspaceChanged(tx: SqlTx, workspace: Workspace, created: boolean): Promise<string> {
  const settings = workspace.settings as Settings;
  return emit(tx, "workspace_changed", workspace.id, (eventId, occurredAt) =>
    events.WorkspaceChanged.encode({
      eventId,
      occurredAt,
      workspaceId: workspace.id,
      name: workspace.name,
      timezone: workspace.timezone,
      retentionDays: settings.retention_days,
      created,
    }).finish(),
  );
}
