import { BolnaProvider, type BolnaCredentials } from "./bolna";
import type { VoiceProvider } from "./port";
import { RetellProvider, type RetellCredentials } from "./retell";
import { VapiProvider, type VapiCredentials } from "./vapi";

export type VoiceIntegration =
  | { kind: "vapi"; credentials: VapiCredentials }
  | { kind: "bolna"; credentials: BolnaCredentials }
  | { kind: "retell"; credentials: RetellCredentials };

export interface ProviderEndpoints {
  /** Real APIs by default; the simulator's prefixes in a local run (http://127.0.0.1:8090/vapi, …). */
  baseUrls: Record<VoiceIntegration["kind"], string>;
  timeoutMs: number;
  /** Injected in tests to count or disturb requests. */
  fetch?: typeof fetch;
}

export const REAL_BASE_URLS: ProviderEndpoints["baseUrls"] = {
  vapi: "https://api.vapi.ai",
  bolna: "https://api.bolna.ai",
  retell: "https://api.retellai.com",
};

/** One adapter per vendor, chosen by the workspace's integration. */
export function createVoiceProvider(integration: VoiceIntegration, endpoints: ProviderEndpoints): VoiceProvider {
  const http = { baseUrl: endpoints.baseUrls[integration.kind], timeoutMs: endpoints.timeoutMs, fetch: endpoints.fetch };
  switch (integration.kind) {
    case "vapi":
      return new VapiProvider(integration.credentials, http);
    case "bolna":
      return new BolnaProvider(integration.credentials, http);
    case "retell":
      return new RetellProvider(integration.credentials, http);
  }
}
