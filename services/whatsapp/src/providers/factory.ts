import { MetaMessagingProvider } from "./meta";
import type { MessagingProvider } from "./port";
import { TwilioMessagingProvider } from "./twilio";

export type MessagingProviderConfig =
  | { kind: "twilio"; accountSid: string; authToken: string; from: string; baseUrl?: string; timeoutMs: number }
  | { kind: "meta"; accessToken: string; phoneNumberId: string; businessAccountId?: string; baseUrl?: string; timeoutMs: number };

/**
 * One adapter per vendor, chosen by the workspace's integration. `fetchImpl` reaches Meta only:
 * the Twilio SDK brings its own HTTP client.
 */
export function createMessagingProvider(config: MessagingProviderConfig, fetchImpl: typeof fetch = fetch): MessagingProvider {
  switch (config.kind) {
    case "twilio":
      return new TwilioMessagingProvider(config);
    case "meta":
      return new MetaMessagingProvider({ ...config, fetch: fetchImpl });
  }
}
