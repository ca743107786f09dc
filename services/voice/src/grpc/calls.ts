import { requireField } from "@parley/errors";
import type { voiceV1 } from "@parley/proto";
import type { Call, CallEvent } from "../generated/prisma/client.ts";
import type { CallsDomain } from "../domain/calls";

export function toCall(c: Call): voiceV1.Call {
  return {
    id: c.id,
    workspaceId: c.workspaceId,
    leadId: c.leadId,
    campaignId: c.campaignId ?? "",
    assistantId: c.assistantId,
    provider: c.provider,
    providerCallId: c.providerCallId ?? "",
    status: c.status,
    endedReason: c.endedReason ?? "",
    providerReason: c.providerReason ?? "",
    toNumber: c.toNumber,
    transcript: c.transcript ?? "",
    recordingUrl: c.recordingUrl ?? "",
    durationSeconds: c.durationSeconds ?? 0,
    cost: c.cost ?? 0,
    error: c.error ?? "",
    createdAt: c.createdAt,
    answeredAt: c.answeredAt ?? undefined,
    endedAt: c.endedAt ?? undefined,
    updatedAt: c.updatedAt,
    direction: c.direction,
    providerAnalysis: (c.providerAnalysis ?? undefined) as Record<string, unknown> | undefined,
  };
}

const toEvent = (e: CallEvent): voiceV1.CallEvent => ({ type: e.type, status: e.status, source: e.source, data: e.data as Record<string, unknown>, occurredAt: e.occurredAt });

export function callRpcs(calls: CallsDomain) {
  return {
    async placeCall(req: voiceV1.PlaceCallRequest): Promise<voiceV1.PlaceCallResponse> {
      const call = await calls.place({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        leadId: requireField(req.leadId, "lead_id"),
        assistantId: req.assistantId || undefined,
        provider: req.provider || undefined,
        variables: req.variables,
      });
      return { call: toCall(call) };
    },
    async getCall(req: voiceV1.GetCallRequest): Promise<voiceV1.GetCallResponse> {
      const call = await calls.get(requireField(req.workspaceId, "workspace_id"), requireField(req.callId, "call_id"));
      return { call: toCall(call), events: call.events.map(toEvent) };
    },
    async listCalls(req: voiceV1.ListCallsRequest): Promise<voiceV1.ListCallsResponse> {
      const page = await calls.list({
        workspaceId: requireField(req.workspaceId, "workspace_id"),
        leadId: req.leadId || undefined,
        campaignId: req.campaignId || undefined,
        status: req.status || undefined,
        limit: Math.min(Math.max(req.limit || 50, 1), 200),
        cursor: req.cursor || undefined,
      });
      return { calls: page.items.map(toCall), nextCursor: page.nextCursor };
    },
  };
}
