import { leadsV1 } from "@parley/proto";
import { ValidationError } from "@parley/errors";
import type { Lead, Member, TimelineEntry, Workspace } from "../generated/prisma/client.ts";
import type { Channel } from "../domain/leads";
import { MEMBER_ROLES, type MemberRole } from "../domain/workspaces";

export function toWorkspace(ws: Workspace): leadsV1.Workspace {
  return {
    id: ws.id,
    name: ws.name,
    timezone: ws.timezone,
    profile: ws.profile as Record<string, unknown>,
    settings: ws.settings as Record<string, unknown>,
    createdAt: ws.createdAt,
    updatedAt: ws.updatedAt,
  };
}

export function toLead(lead: Lead): leadsV1.Lead {
  return {
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
    formResponses: lead.formResponses as Record<string, unknown>,
    optedOut: { voice: lead.optedOutVoice, whatsapp: lead.optedOutWhatsapp },
    createdAt: lead.createdAt,
    updatedAt: lead.updatedAt,
    source: lead.source,
  };
}

export function toTimelineEntry(entry: TimelineEntry): leadsV1.TimelineEntry {
  return { id: entry.id, kind: entry.kind, summary: entry.summary, data: entry.data as Record<string, unknown>, occurredAt: entry.occurredAt };
}

const roleByProto: Record<number, MemberRole> = {
  [leadsV1.MemberRole.MEMBER_ROLE_OWNER]: "owner",
  [leadsV1.MemberRole.MEMBER_ROLE_ADMIN]: "admin",
  [leadsV1.MemberRole.MEMBER_ROLE_AGENT]: "agent",
  [leadsV1.MemberRole.MEMBER_ROLE_VIEWER]: "viewer",
};

export function fromRole(role: leadsV1.MemberRole): MemberRole {
  const mapped = roleByProto[role];
  if (!mapped) throw new ValidationError("invalid member", [{ path: "role", message: `one of ${MEMBER_ROLES.join(", ")}` }]);
  return mapped;
}

export function toMember(m: Member): leadsV1.Member {
  const role = Number(Object.entries(roleByProto).find(([, r]) => r === m.role)?.[0] ?? 0) as leadsV1.MemberRole;
  return { id: m.id, workspaceId: m.workspaceId, email: m.email, name: m.name, role, createdAt: m.createdAt };
}

export function fromChannel(channel: leadsV1.Channel): Channel {
  if (channel === leadsV1.Channel.CHANNEL_VOICE) return "voice";
  if (channel === leadsV1.Channel.CHANNEL_WHATSAPP) return "whatsapp";
  throw new ValidationError("invalid channel", [{ path: "channels", message: "voice or whatsapp" }]);
}

/** Page sizes: 50 by default, 200 at most, as the public API promises. */
export function pageLimit(limit: number): number {
  if (!limit) return 50;
  if (limit < 1 || limit > 200) throw new ValidationError("invalid limit", [{ path: "limit", message: "between 1 and 200" }]);
  return limit;
}
