import { ProviderHttp, type ProviderHttpOptions } from "./http";
import { meaningful } from "./vapi";
import type { AssistantSpec, CallStatus, DialRequest, EndedReason, ProviderAssistant, ProviderCall, VoiceProvider } from "./port";

export interface RetellCredentials {
  apiKey: string;
  fromNumber: string;
}

export interface RetellCallBody {
  call_id: string;
  call_status?: string;
  start_timestamp?: number;
  end_timestamp?: number;
  duration_ms?: number;
  disconnection_reason?: string;
  transcript?: string;
  recording_url?: string | null;
  call_cost?: { combined_cost?: number };
  call_analysis?: Record<string, unknown>;
}

export function retellStatus(status: string | undefined): CallStatus {
  switch (status) {
    case "ongoing":
      return "in_progress";
    case "ended":
    case "error":
    case "not_connected":
      return "ended";
    default:
      return "queued";
  }
}

const RETELL_REASONS: Record<string, EndedReason> = {
  dial_no_answer: "no_answer",
  dial_busy: "busy",
  voicemail_reached: "voicemail",
  user_hangup: "completed",
  agent_hangup: "completed",
  call_transfer: "completed",
  inactivity: "completed",
  max_duration_reached: "completed",
};

export function retellEndedReason(reason: string | undefined): EndedReason {
  // dial_failed, concurrency_limit_reached, error_*: failures.
  return (reason && RETELL_REASONS[reason]) || "failed";
}

export function fromRetellCall(call: RetellCallBody): ProviderCall {
  const status = retellStatus(call.call_status);
  return {
    providerCallId: call.call_id,
    status,
    ...(status === "ended" ? { endedReason: retellEndedReason(call.disconnection_reason), providerReason: call.disconnection_reason } : {}),
    answeredAt: call.start_timestamp ? new Date(call.start_timestamp) : undefined,
    endedAt: call.end_timestamp ? new Date(call.end_timestamp) : undefined,
    durationSeconds: call.duration_ms === undefined ? undefined : Math.round(call.duration_ms / 1000),
    transcript: call.transcript,
    recordingUrl: call.recording_url ?? undefined,
    // Retell reports cents.
    cost: call.call_cost?.combined_cost === undefined ? undefined : call.call_cost.combined_cost / 100,
    providerAnalysis: meaningful(call.call_analysis),
  };
}

interface RetellAgentBody {
  agent_id: string;
  agent_name?: string;
  response_engine?: { type?: string; llm_id?: string };
}

interface RetellLlmBody {
  llm_id: string;
  general_prompt?: string;
  begin_message?: string;
}

const RETELL_DEFAULT_VOICE = "11labs-Adrian";

/**
 * Retell splits an assistant in two: the LLM (prompt, first words, custom functions) and the agent
 * (voice, webhook, limits) that uses it.
 */
export function retellLlm(spec: AssistantSpec): Record<string, unknown> {
  return {
    general_prompt: spec.systemPrompt,
    begin_message: spec.firstMessage,
    ...(spec.model ? { model: spec.model.model } : {}),
    general_tools: [
      ...(spec.endCallPhrases?.length ? [] : [{ type: "end_call", name: "end_call", description: "End the call when the conversation is over." }]),
      ...spec.tools.map((t) => ({
        type: "custom",
        name: t.name,
        description: t.description,
        url: retellFunctionUrl(spec.webhook.url),
        parameters: t.parameters,
        speak_during_execution: false,
        speak_after_execution: true,
      })),
    ],
  };
}

/** Retell posts custom function calls to their own URL; Parley takes them beside its webhooks. */
export function retellFunctionUrl(webhookUrl: string): string {
  const url = new URL(webhookUrl);
  url.pathname = `${url.pathname.replace(/\/$/, "")}/functions`;
  return url.toString();
}

export function retellAgent(spec: AssistantSpec, llmId: string): Record<string, unknown> {
  return {
    agent_name: spec.name,
    response_engine: { type: "retell-llm", llm_id: llmId },
    voice_id: spec.voice?.voiceId ?? RETELL_DEFAULT_VOICE,
    webhook_url: spec.webhook.url,
    ...(spec.language ? { language: spec.language } : {}),
    ...(spec.maxDurationSeconds ? { max_call_duration_ms: spec.maxDurationSeconds * 1000 } : {}),
    ...(spec.voicemailMessage ? { voicemail_option: { action: { type: "static_text", text: spec.voicemailMessage } } } : {}),
  };
}

export class RetellProvider implements VoiceProvider {
  readonly kind = "retell";
  private readonly http: ProviderHttp;

  constructor(
    private readonly credentials: RetellCredentials,
    http: Omit<ProviderHttpOptions, "provider" | "apiKey">,
  ) {
    this.http = new ProviderHttp({ ...http, provider: "retell", apiKey: credentials.apiKey });
  }

  async dial(request: DialRequest): Promise<{ providerCallId: string }> {
    const call = await this.http.request<RetellCallBody>(
      "POST",
      "/v2/create-phone-call",
      {
        from_number: this.credentials.fromNumber,
        to_number: request.to,
        override_agent_id: request.assistantId,
        retell_llm_dynamic_variables: request.variables,
        metadata: request.metadata,
      },
      "unsent-only",
    );
    return { providerCallId: call.call_id };
  }

  async getCall(providerCallId: string): Promise<ProviderCall> {
    return fromRetellCall(await this.http.request<RetellCallBody>("GET", `/v2/get-call/${encodeURIComponent(providerCallId)}`, undefined, "safe"));
  }

  async createAssistant(spec: AssistantSpec): Promise<{ providerAssistantId: string }> {
    const llm = await this.http.request<RetellLlmBody>("POST", "/create-retell-llm", retellLlm(spec), "unsent-only");
    const agent = await this.http.request<RetellAgentBody>("POST", "/create-agent", retellAgent(spec, llm.llm_id), "unsent-only");
    return { providerAssistantId: agent.agent_id };
  }

  async updateAssistant(providerAssistantId: string, spec: AssistantSpec): Promise<void> {
    const agent = await this.agent(providerAssistantId);
    const llmId = agent.response_engine?.llm_id;
    if (agent.response_engine?.type === "retell-llm" && llmId) await this.http.request("PATCH", `/update-retell-llm/${encodeURIComponent(llmId)}`, retellLlm(spec), "safe");
    const { response_engine: _keep, ...agentFields } = retellAgent(spec, llmId ?? "");
    await this.http.request("PATCH", `/update-agent/${encodeURIComponent(providerAssistantId)}`, agentFields, "safe");
  }

  async getAssistant(providerAssistantId: string): Promise<ProviderAssistant> {
    const agent = await this.agent(providerAssistantId);
    const llmId = agent.response_engine?.type === "retell-llm" ? agent.response_engine.llm_id : undefined;
    const llm = llmId ? await this.http.request<RetellLlmBody>("GET", `/get-retell-llm/${encodeURIComponent(llmId)}`, undefined, "safe") : undefined;
    return { providerAssistantId: agent.agent_id, name: agent.agent_name ?? "", firstMessage: llm?.begin_message, systemPrompt: llm?.general_prompt };
  }

  /**
   * Custom telephony: an incoming call on the tenant's own carrier (Twilio) is registered first;
   * the carrier then connects it to Retell by the returned call id.
   */
  async registerInboundCall(request: { agentId: string; from: string; to: string; variables: Record<string, string>; metadata: Record<string, string> }): Promise<{ providerCallId: string }> {
    const call = await this.http.request<RetellCallBody>(
      "POST",
      "/v2/register-phone-call",
      { agent_id: request.agentId, from_number: request.from, to_number: request.to, direction: "inbound", retell_llm_dynamic_variables: request.variables, metadata: request.metadata },
      "unsent-only",
    );
    return { providerCallId: call.call_id };
  }

  /** Retell deletes a call with its recording and transcript. */
  async deleteRecording(providerCallId: string): Promise<void> {
    await this.http.request("DELETE", `/v2/delete-call/${encodeURIComponent(providerCallId)}`, undefined, "safe");
  }

  private agent(agentId: string): Promise<RetellAgentBody> {
    return this.http.request<RetellAgentBody>("GET", `/get-agent/${encodeURIComponent(agentId)}`, undefined, "safe");
  }
}
