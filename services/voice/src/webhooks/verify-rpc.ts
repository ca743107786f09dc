import { ValidationError } from "@parley/errors";
import type { IntegrationStore } from "@parley/integrations";
import type { voiceV1 } from "@parley/proto";
import { verifyBolna, verifyRetell, verifyVapi, type Verdict } from "./verify";

/** The verdict with the workspace's own secret, or undefined when it has no integration for the provider. */
async function ownVerdict(store: IntegrationStore, req: voiceV1.VerifyWebhookRequest): Promise<Verdict | undefined> {
  const body = Buffer.from(req.rawBody);
  switch (req.provider) {
    case "vapi": {
      const c = await store.find(req.workspaceId, "vapi");
      return c && verifyVapi(body, req.headers, c.webhook_secret);
    }
    case "retell": {
      const c = await store.find(req.workspaceId, "retell");
      return c && verifyRetell(body, req.headers, c.api_key);
    }
    case "bolna": {
      const c = await store.find(req.workspaceId, "bolna");
      return c && verifyBolna(req.query, c.webhook_secret);
    }
    default:
      throw new ValidationError(`no webhooks for provider ${req.provider}`, [{ path: "provider", message: "must be vapi, bolna or retell" }]);
  }
}

export interface SandboxSecrets {
  enabled: boolean;
  /** Vapi's signing secret and Bolna's URL token. */
  webhookSecret: string;
  retellApiKey: string;
}

/** Workspaces on the sandbox have no integration: their webhooks are signed with the sandbox's secrets. */
function sandboxVerdict(req: voiceV1.VerifyWebhookRequest, sandbox: SandboxSecrets): Verdict {
  const body = Buffer.from(req.rawBody);
  if (req.provider === "vapi") return verifyVapi(body, req.headers, sandbox.webhookSecret);
  if (req.provider === "retell") return verifyRetell(body, req.headers, sandbox.retellApiKey);
  if (req.provider === "bolna") return verifyBolna(req.query, sandbox.webhookSecret);
  return { valid: false, reason: `no ${req.provider} integration for this workspace` };
}

export function verifyWebhookRpc(store: IntegrationStore, sandbox: SandboxSecrets) {
  return {
    async verifyWebhook(req: voiceV1.VerifyWebhookRequest): Promise<voiceV1.VerifyWebhookResponse> {
      if (!req.workspaceId) return { valid: false, reason: "no workspace in the webhook" };
      const result = (await ownVerdict(store, req)) ?? (sandbox.enabled ? sandboxVerdict(req, sandbox) : { valid: false as const, reason: `no ${req.provider} integration for this workspace` });
      return result.valid ? { valid: true, reason: "" } : { valid: false, reason: result.reason };
    },
  };
}
