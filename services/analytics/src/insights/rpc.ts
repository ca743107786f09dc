import { NotFoundError, requireField } from "@parley/errors";
import type { analyticsV1 } from "@parley/proto";
import type { CallInsight, PrismaClient } from "../generated/prisma/client.ts";

function toMessage(i: CallInsight): analyticsV1.CallInsight {
  return {
    status: i.status,
    reason: i.reason ?? "",
    summary: i.summary ?? "",
    sentiment: i.sentiment ?? "",
    outcome: i.outcome ?? "",
    interestLevel: i.interestLevel ?? "",
    objections: Array.isArray(i.objections) ? i.objections.map(String) : [],
    meetingTime: i.meetingTime ?? "",
    nextAction: i.nextAction ?? "",
    language: i.language ?? "",
    qualification: (i.qualification ?? undefined) as Record<string, unknown> | undefined,
    providerAnalysis: (i.providerAnalysis ?? undefined) as Record<string, unknown> | undefined,
    promptVersion: i.promptVersion ?? "",
    model: i.model ?? "",
    promptTokens: i.promptTokens,
    completionTokens: i.completionTokens,
    llmCost: i.llmCost,
    updatedAt: i.updatedAt,
  };
}

export function insightRpcs(db: PrismaClient) {
  return {
    async getCallInsight(req: analyticsV1.GetCallInsightRequest): Promise<analyticsV1.GetCallInsightResponse> {
      const insight = await db.callInsight.findFirst({ where: { callId: requireField(req.callId, "call_id"), workspaceId: requireField(req.workspaceId, "workspace_id") } });
      if (!insight) throw new NotFoundError("insight for call", req.callId);
      return { insight: toMessage(insight) };
    },
  };
}
