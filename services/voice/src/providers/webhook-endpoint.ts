import type { VoiceProviderKind } from "./port";

/**
 * Where a provider sends a workspace's webhooks. Vapi signs with the secret; Bolna signs nothing,
 * so its URL carries the secret as a token; Retell signs with the account's API key.
 */
export function webhookEndpoint(publicUrl: string, kind: VoiceProviderKind, workspaceId: string, secret?: string): { url: string; secret?: string } {
  const url = new URL(`${publicUrl.replace(/\/$/, "")}/webhooks/${kind}`);
  url.searchParams.set("workspace", workspaceId);
  if (kind === "bolna" && secret) url.searchParams.set("token", secret);
  return kind === "vapi" && secret ? { url: url.toString(), secret } : { url: url.toString() };
}
