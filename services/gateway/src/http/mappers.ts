import type { analyticsV1, leadsV1, voiceV1, whatsappV1 } from "@parley/proto";
import type { ApiKey } from "../generated/prisma/client.ts";

const iso = (d: Date | undefined | null) => (d ? d.toISOString() : null);
const orNull = (s: string) => (s === "" ? null : s);

export function workspaceJson(ws: leadsV1.Workspace) {
  return {
    id: ws.id,
    name: ws.name,
    timezone: ws.timezone,
    profile: ws.profile ?? {},
    settings: ws.settings ?? {},
    created_at: iso(ws.createdAt),
    updated_at: iso(ws.updatedAt),
  };
}

export function leadJson(lead: leadsV1.Lead) {
  return {
    id: lead.id,
    phone: lead.phone,
    name: orNull(lead.name),
    email: orNull(lead.email),
    business_name: orNull(lead.businessName),
    timezone: orNull(lead.timezone),
    status: lead.status,
    tags: lead.tags,
    metadata: lead.metadata ?? {},
    form_responses: lead.formResponses ?? {},
    opted_out: { voice: lead.optedOut?.voice ?? false, whatsapp: lead.optedOut?.whatsapp ?? false },
    source: lead.source,
    created_at: iso(lead.createdAt),
    updated_at: iso(lead.updatedAt),
  };
}

export function leadImportJson(imp: leadsV1.LeadImport) {
  const counts = imp.counts;
  return {
    id: imp.id,
    status: imp.status,
    counts: { rows: counts?.rows ?? 0, created: counts?.created ?? 0, duplicates: counts?.duplicates ?? 0, invalid: counts?.invalid ?? 0 },
    errors: imp.errors.map((e) => ({ row: e.row, field: e.field, message: e.message })),
    campaign_id: orNull(imp.campaignId),
    created_at: iso(imp.createdAt),
    completed_at: iso(imp.completedAt),
    error: orNull(imp.error),
  };
}

export function importRejectionJson(r: leadsV1.ImportRejection) {
  const duplicateOf = r.duplicateOfRow ? { row: r.duplicateOfRow } : r.duplicateOfLeadId ? { lead_id: r.duplicateOfLeadId } : null;
  return { row: r.row, kind: r.kind, errors: r.errors.map((e) => ({ field: e.field, message: e.message })), duplicate_of: duplicateOf };
}

export function timelineEntryJson(entry: leadsV1.TimelineEntry) {
  return { id: entry.id, kind: entry.kind, summary: entry.summary, data: entry.data ?? {}, occurred_at: iso(entry.occurredAt) };
}

export function apiKeyJson(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    prefix: key.prefix,
    created_at: key.createdAt.toISOString(),
    last_used_at: iso(key.lastUsedAt),
    revoked_at: iso(key.revokedAt),
  };
}

export function callJson(c: voiceV1.Call) {
  const ended = c.status === "ended";
  return {
    id: c.id,
    lead_id: c.leadId,
    direction: c.direction,
    campaign_id: orNull(c.campaignId),
    assistant_id: c.assistantId,
    provider: c.provider,
    provider_call_id: orNull(c.providerCallId),
    status: c.status,
    ended_reason: orNull(c.endedReason),
    to: c.toNumber,
    started_at: iso(c.createdAt),
    answered_at: iso(c.answeredAt),
    ended_at: iso(c.endedAt),
    duration_seconds: ended ? c.durationSeconds : null,
    transcript: orNull(c.transcript),
    recording_url: orNull(c.recordingUrl),
    cost: ended ? c.cost : null,
    error: orNull(c.error),
  };
}

export function callEventJson(e: voiceV1.CallEvent) {
  return { type: e.type, status: e.status, source: e.source, data: e.data ?? {}, occurred_at: iso(e.occurredAt) };
}

export function insightJson(i: analyticsV1.CallInsight) {
  const done = i.status === "succeeded";
  return {
    status: i.status,
    reason: orNull(i.reason),
    summary: done ? i.summary : null,
    sentiment: done ? i.sentiment : null,
    outcome: done ? i.outcome : null,
    interest_level: done ? i.interestLevel : null,
    objections: done ? i.objections : [],
    meeting_time: orNull(i.meetingTime),
    next_action: done ? i.nextAction : null,
    language: done ? i.language : null,
    qualification: i.qualification ?? {},
    provider_analysis: i.providerAnalysis ?? null,
    prompt_version: orNull(i.promptVersion),
    model: orNull(i.model),
    tokens: { prompt: i.promptTokens, completion: i.completionTokens },
    llm_cost: i.llmCost,
    updated_at: iso(i.updatedAt),
  };
}

export function conversationJson(c: whatsappV1.Conversation) {
  return {
    id: c.id,
    lead_id: c.leadId,
    provider: c.provider,
    customer: c.customer,
    window_expires_at: iso(c.windowExpiresAt),
    last_message_at: iso(c.lastMessageAt),
    handed_off_at: iso(c.handedOffAt),
    qualification: c.qualification ?? {},
    created_at: iso(c.createdAt),
  };
}

export function messageJson(m: whatsappV1.Message) {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    lead_id: m.leadId,
    direction: m.direction,
    text: m.text,
    template: m.template ?? null,
    status: m.status,
    error_code: m.errorCode || null,
    origin: m.origin,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
  };
}
