import type { GrpcClient } from "@parley/grpc";
import type { analyticsV1, leadsV1, voiceV1, whatsappV1 } from "@parley/proto";
import type { ApiKeys } from "../auth/api-keys";
import type { WorkspaceSignals } from "../http/workspace-signals";

export interface RouteDeps {
  leads: GrpcClient<typeof leadsV1.LeadsServiceService>["call"];
  voice: GrpcClient<typeof voiceV1.VoiceServiceService>["call"];
  whatsapp: GrpcClient<typeof whatsappV1.WhatsAppServiceService>["call"];
  analytics: GrpcClient<typeof analyticsV1.AnalyticsServiceService>["call"];
  keys: ApiKeys;
  /** Something happened in a workspace's voice domain (a call started or ended, a campaign moved). */
  voiceSignals: WorkspaceSignals;
}
