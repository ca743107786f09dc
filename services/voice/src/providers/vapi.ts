import { ProviderHttp, type ProviderHttpOptions } from "./http";
import type { AssistantSpec, CallStatus, DialRequest, EndedReason, ProviderAssistant, ProviderCall, VoiceProvider } from "./port";

export interface VapiCredentials {
  apiKey: string;
  phoneNumberId: string;
}

interface VapiCallBody {
  id: string;
  status?: string;
  endedReason?: string;
  startedAt?: string;
  endedAt?: string;
  cost?: number;
  durationSeconds?: number;
  artifact?: { transcript?: string; recordingUrl?: string };
  transcript?: string;
  recordingUrl?: string;
  analysis?: Record<string, unknown>;
}

export function vapiStatus(status: string | undefined): CallStatus {
  switch (status) {
    case "ringing":
      return "ringing";
    case "in-progress":
    case "forwarding":
      return "in_progress";
    case "ended":
      return "ended";
    default:
      return "queued";
  }
}

const VAPI_REASONS: Record<string, EndedReason> = {
  "customer-did-not-answer": "no_answer",
  "customer-busy": "busy",
  voicemail: "voicemail",
  "customer-ended-call": "completed",
  "assistant-ended-call": "completed",
  "assistant-said-end-call-phrase": "completed",
  "assistant-forwarded-call": "completed",
  "silence-timed-out": "completed",
  "exceeded-max-duration": "completed",
  "manually-canceled": "canceled",
};

export function vapiEndedReason(reason: string | undefined): EndedReason {
  if (!reason) return "failed";
  // Everything else (twilio-failed-to-connect-call, pipeline-error-*, assistant-error, …) is a failure.
  return VAPI_REASONS[reason] ?? "failed";
}

/** An analysis object with something in it; providers send `{}` or empty strings before they analyse. */
export function meaningful(analysis: unknown): Record<string, unknown> | undefined {
  if (!analysis || typeof analysis !== "object" || Array.isArray(analysis)) return undefined;
  const filled = Object.entries(analysis).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  return filled.length ? Object.fromEntries(filled) : undefined;
}

export function fromVapiCall(call: VapiCallBody): ProviderCall {
  const status = vapiStatus(call.status);
  const answeredAt = call.startedAt ? new Date(call.startedAt) : undefined;
  const endedAt = call.endedAt ? new Date(call.endedAt) : undefined;
  return {
    providerCallId: call.id,
    status,
    ...(status === "ended" ? { endedReason: vapiEndedReason(call.endedReason), providerReason: call.endedReason } : {}),
    answeredAt,
    endedAt,
    durationSeconds: call.durationSeconds ?? (answeredAt && endedAt ? Math.round((endedAt.getTime() - answeredAt.getTime()) / 1000) : undefined),
    // Older payloads carry transcript and recording at the top level.
    transcript: call.artifact?.transcript ?? call.transcript,
    recordingUrl: call.artifact?.recordingUrl ?? call.recordingUrl,
    cost: call.cost,
    providerAnalysis: meaningful(call.analysis),
  };
}

interface VapiAssistantBody {
  id: string;
  name?: string;
  firstMessage?: string;
  model?: { messages?: { role?: string; content?: string }[] };
}

const VAPI_DEFAULT_MODEL = { provider: "openai", model: "gpt-4o-mini" };
const VAPI_DEFAULT_VOICE = { provider: "vapi", voiceId: "Elliot" };

/** A Vapi assistant: the prompt is the model's system message, tools are its functions, and the server receives its messages. */
export function vapiAssistant(spec: AssistantSpec): Record<string, unknown> {
  const model = spec.model ?? VAPI_DEFAULT_MODEL;
  const voice = spec.voice ?? VAPI_DEFAULT_VOICE;
  return {
    name: spec.name,
    firstMessage: spec.firstMessage,
    model: {
      provider: model.provider,
      model: model.model,
      messages: [{ role: "system", content: spec.systemPrompt }],
      tools: spec.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })),
    },
    voice: { provider: voice.provider, voiceId: voice.voiceId },
    ...(spec.voicemailMessage ? { voicemailMessage: spec.voicemailMessage } : {}),
    ...(spec.endCallPhrases?.length ? { endCallPhrases: spec.endCallPhrases } : {}),
    ...(spec.maxDurationSeconds ? { maxDurationSeconds: spec.maxDurationSeconds } : {}),
    ...(spec.language ? { transcriber: { provider: "deepgram", language: spec.language } } : {}),
    // Tool calls must be answered well inside this.
    server: { url: spec.webhook.url, ...(spec.webhook.secret ? { secret: spec.webhook.secret } : {}), timeoutSeconds: 20 },
  };
}

export class VapiProvider implements VoiceProvider {
  readonly kind = "vapi";
  private readonly http: ProviderHttp;

  constructor(
    private readonly credentials: VapiCredentials,
    http: Omit<ProviderHttpOptions, "provider" | "apiKey">,
  ) {
    this.http = new ProviderHttp({ ...http, provider: "vapi", apiKey: credentials.apiKey });
  }

  async dial(request: DialRequest): Promise<{ providerCallId: string }> {
    const call = await this.http.request<VapiCallBody>(
      "POST",
      "/call",
      {
        assistantId: request.assistantId,
        assistantOverrides: {
          variableValues: request.variables,
          ...(request.webhook ? { server: { url: request.webhook.url, ...(request.webhook.secret ? { secret: request.webhook.secret } : {}) } } : {}),
        },
        phoneNumberId: this.credentials.phoneNumberId,
        customer: { number: request.to },
        metadata: request.metadata,
      },
      "unsent-only",
    );
    return { providerCallId: call.id };
  }

  async getCall(providerCallId: string): Promise<ProviderCall> {
    return fromVapiCall(await this.http.request<VapiCallBody>("GET", `/call/${encodeURIComponent(providerCallId)}`, undefined, "safe"));
  }

  async createAssistant(spec: AssistantSpec): Promise<{ providerAssistantId: string }> {
    const created = await this.http.request<VapiAssistantBody>("POST", "/assistant", vapiAssistant(spec), "unsent-only");
    return { providerAssistantId: created.id };
  }

  async updateAssistant(providerAssistantId: string, spec: AssistantSpec): Promise<void> {
    await this.http.request("PATCH", `/assistant/${encodeURIComponent(providerAssistantId)}`, vapiAssistant(spec), "safe");
  }

  async getAssistant(providerAssistantId: string): Promise<ProviderAssistant> {
    const a = await this.http.request<VapiAssistantBody>("GET", `/assistant/${encodeURIComponent(providerAssistantId)}`, undefined, "safe");
    return { providerAssistantId: a.id, name: a.name ?? "", firstMessage: a.firstMessage, systemPrompt: a.model?.messages?.find((m) => m.role === "system")?.content };
  }

  /** Vapi keeps recordings with the call: deleting the call's data deletes the recording. */
  async deleteRecording(providerCallId: string): Promise<void> {
    await this.http.request("DELETE", `/call/${encodeURIComponent(providerCallId)}`, undefined, "safe");
  }
}
