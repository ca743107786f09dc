import OpenAI from "openai";
import type { IntegrationStore } from "@parley/integrations";

export interface AgentModelDefaults {
  /** The operator's key, for workspaces without their own OpenAI integration. */
  apiKey?: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  /** The SDK's own retries of 429/5xx, with its exponential back-off, within one attempt. */
  maxRetries: number;
}

export interface AgentModel {
  client: OpenAI;
  model: string;
}

/** The model a workspace's agent writes with: its own OpenAI key and model, else the operator's. */
export class AgentModels {
  private readonly clients = new Map<string, OpenAI>();

  constructor(
    private readonly integrations: IntegrationStore,
    private readonly defaults: AgentModelDefaults,
  ) {}

  async forWorkspace(workspaceId: string): Promise<AgentModel | undefined> {
    const own = await this.integrations.find(workspaceId, "openai");
    const apiKey = own?.api_key ?? this.defaults.apiKey;
    return apiKey ? { client: this.client(apiKey), model: own?.model ?? this.defaults.model } : undefined;
  }

  /** One SDK client per key, so its connections are reused. */
  private client(apiKey: string): OpenAI {
    let client = this.clients.get(apiKey);
    if (!client) {
      client = new OpenAI({ apiKey, baseURL: this.defaults.baseURL, timeout: this.defaults.timeoutMs, maxRetries: this.defaults.maxRetries });
      this.clients.set(apiKey, client);
    }
    return client;
  }
}
