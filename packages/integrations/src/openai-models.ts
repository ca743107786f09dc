import OpenAI from "openai";
import type { IntegrationStore } from "./store";

export interface OpenAiDefaults {
  /** The operator's key, for workspaces without their own OpenAI integration. */
  apiKey?: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  /** The SDK's own retries of 429/5xx, with its exponential back-off, within one request. */
  maxRetries: number;
}

export interface WorkspaceModel {
  client: OpenAI;
  model: string;
}

/** The OpenAI client and model a workspace uses: its own key and model when it stored them, else the operator's. */
export class OpenAiModels {
  private readonly clients = new Map<string, OpenAI>();

  constructor(
    private readonly integrations: IntegrationStore,
    private readonly defaults: OpenAiDefaults,
  ) {}

  /** Undefined when neither the workspace nor the operator has a key. */
  async forWorkspace(workspaceId: string): Promise<WorkspaceModel | undefined> {
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
