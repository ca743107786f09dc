import type { analyticsV1, leadsV1, voiceV1 } from "@parley/proto";
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
