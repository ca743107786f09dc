import { PreconditionError } from "@parley/errors";
import { ProviderHttp, type ProviderHttpOptions } from "./http";
import type { AssistantSpec, CallStatus, DialRequest, EndedReason, ProviderAssistant, ProviderCall, VoiceProvider } from "./port";

export interface BolnaCredentials {
  apiKey: string;
  /** Caller id; the agent's default number when absent. */
  fromNumber?: string;
}

export interface BolnaExecution {
  id: string;
  status?: string;
  conversation_duration?: number;
  total_cost?: number;
  transcript?: string;
  telephony_data?: { duration?: number | string; recording_url?: string | null; hangup_reason?: string | null };
  created_at?: string;
  updated_at?: string;
}

const TERMINAL: Record<string, EndedReason> = {
  "no-answer": "no_answer",
  busy: "busy",
  failed: "failed",
  error: "failed",
  canceled: "canceled",
  cancelled: "canceled",
};

export function bolnaStatus(status: string | undefined): CallStatus {
  switch (status) {
    case "ringing":
      return "ringing";
    // call-disconnected: the line dropped but post-processing (transcript, cost) is still to come.
    case "in-progress":
    case "call-disconnected":
      return "in_progress";
    case "completed":
      return "ended";
    default:
      return status && TERMINAL[status] ? "ended" : "queued";
  }
}

/** `completed` does not mean anyone answered: talk time and the hang-up reason decide. */
export function bolnaEndedReason(execution: BolnaExecution): EndedReason {
  const status = execution.status ?? "";
  if (TERMINAL[status]) return TERMINAL[status];
  const hangup = (execution.telephony_data?.hangup_reason ?? "").toLowerCase();
  if (hangup.includes("voicemail") || hangup.includes("machine")) return "voicemail";
  return (execution.conversation_duration ?? 0) > 0 ? "completed" : "no_answer";
}

export function fromBolnaExecution(execution: BolnaExecution): ProviderCall {
  const status = bolnaStatus(execution.status);
  const ended = status === "ended";
  return {
    providerCallId: execution.id,
    status,
    ...(ended ? { endedReason: bolnaEndedReason(execution), providerReason: execution.telephony_data?.hangup_reason ?? execution.status, endedAt: execution.updated_at ? new Date(execution.updated_at) : undefined } : {}),
    durationSeconds: execution.conversation_duration,
    transcript: execution.transcript || undefined,
    recordingUrl: execution.telephony_data?.recording_url ?? undefined,
    cost: execution.total_cost,
  };
}

interface BolnaAgentBody {
  id?: string;
  agent_id?: string;
  agent_name?: string;
  agent_welcome_message?: string;
  agent_prompts?: { task_1?: { system_prompt?: string } };
}

/** Bolna writes variables with single braces: `{name}`. */
export function bolnaPlaceholders(text: string): string {
  return text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, "{$1}");
}

/** A Bolna v2 agent: one conversation task (transcriber → LLM → synthesizer) and its prompt. */
export function bolnaAgent(spec: AssistantSpec): Record<string, unknown> {
  const llm = spec.model ?? { provider: "openai", model: "gpt-4o-mini" };
  const voice = spec.voice ?? { provider: "elevenlabs", voiceId: "Nila" };
  return {
    agent_config: {
      agent_name: spec.name,
      agent_welcome_message: bolnaPlaceholders(spec.firstMessage),
      webhook_url: spec.webhook.url,
      agent_type: "other",
      tasks: [
        {
          task_type: "conversation",
          tools_config: {
            llm_agent: { agent_type: "simple_llm_agent", agent_flow_type: "streaming", llm_config: { provider: llm.provider, model: llm.model } },
            synthesizer: { provider: voice.provider, provider_config: { voice: voice.voiceId }, stream: true },
            transcriber: { provider: "deepgram", language: spec.language?.slice(0, 2) ?? "en", stream: true },
            input: { provider: "plivo", format: "wav" },
            output: { provider: "plivo", format: "wav" },
          },
          toolchain: { execution: "parallel", pipelines: [["transcriber", "llm", "synthesizer"]] },
          task_config: {
            ...(spec.maxDurationSeconds ? { call_terminate: spec.maxDurationSeconds } : {}),
            ...(spec.endCallPhrases?.length ? { call_cancellation_prompt: spec.endCallPhrases.join("; ") } : {}),
            ...(spec.voicemailMessage ? { voicemail: true } : {}),
          },
        },
      ],
    },
    agent_prompts: { task_1: { system_prompt: bolnaPlaceholders(spec.systemPrompt) } },
  };
}

export class BolnaProvider implements VoiceProvider {
  readonly kind = "bolna";
  private readonly http: ProviderHttp;

  constructor(
    private readonly credentials: BolnaCredentials,
    http: Omit<ProviderHttpOptions, "provider" | "apiKey">,
  ) {
    this.http = new ProviderHttp({ ...http, provider: "bolna", apiKey: credentials.apiKey });
  }

  async dial(request: DialRequest): Promise<{ providerCallId: string }> {
    const res = await this.http.request<{ execution_id: string }>(
      "POST",
      "/call",
      {
        agent_id: request.assistantId,
        recipient_phone_number: request.to,
        ...(this.credentials.fromNumber ? { from_phone_number: this.credentials.fromNumber } : {}),
        // Bolna has no metadata field: Parley's ids travel with the variables and come back on the execution.
        user_data: { ...request.variables, ...request.metadata },
      },
      "unsent-only",
    );
    return { providerCallId: res.execution_id };
  }

  async getCall(providerCallId: string): Promise<ProviderCall> {
    return fromBolnaExecution(await this.http.request<BolnaExecution>("GET", `/executions/${encodeURIComponent(providerCallId)}`, undefined, "safe"));
  }

  async createAssistant(spec: AssistantSpec): Promise<{ providerAssistantId: string }> {
    const created = await this.http.request<{ agent_id: string }>("POST", "/v2/agent", bolnaAgent(spec), "unsent-only");
    return { providerAssistantId: created.agent_id };
  }

  async updateAssistant(providerAssistantId: string, spec: AssistantSpec): Promise<void> {
    await this.http.request("PUT", `/v2/agent/${encodeURIComponent(providerAssistantId)}`, bolnaAgent(spec), "safe");
  }

  async getAssistant(providerAssistantId: string): Promise<ProviderAssistant> {
    const a = await this.http.request<BolnaAgentBody>("GET", `/v2/agent/${encodeURIComponent(providerAssistantId)}`, undefined, "safe");
    return { providerAssistantId: a.id ?? a.agent_id ?? providerAssistantId, name: a.agent_name ?? "", firstMessage: a.agent_welcome_message, systemPrompt: a.agent_prompts?.task_1?.system_prompt };
  }

  async deleteRecording(): Promise<void> {
    throw new PreconditionError("Bolna offers no API to delete a call recording; delete it in the Bolna dashboard", { provider: "bolna" });
  }
}
