// The one shape of a voice provider, whatever the vendor: place a call, read it back, keep its
// assistants, delete its recording.

export const VOICE_PROVIDER_KINDS = ["vapi", "bolna", "retell"] as const;
export type VoiceProviderKind = (typeof VOICE_PROVIDER_KINDS)[number];

/** Parley's call states; forward-only in the call lifecycle. */
export type CallStatus = "queued" | "ringing" | "in_progress" | "ended";

/** One vocabulary for how a call ended, mapped from every provider's own. */
export type EndedReason = "completed" | "no_answer" | "busy" | "voicemail" | "failed" | "canceled";

export interface DialRequest {
  /** E.164. */
  to: string;
  /** The provider's assistant / agent id. */
  assistantId: string;
  /** Values for the assistant's template variables. */
  variables: Record<string, string>;
  /** Echoed back on the provider's call and webhooks, e.g. Parley's call id. */
  metadata: Record<string, string>;
  /** Where the provider should send this call's webhooks, where it takes that per call (Vapi). */
  webhook?: { url: string; secret?: string };
}

export interface ProviderCall {
  providerCallId: string;
  status: CallStatus;
  /** Set once ended. */
  endedReason?: EndedReason;
  /** The provider's own reason, kept for the record. */
  providerReason?: string;
  answeredAt?: Date;
  endedAt?: Date;
  durationSeconds?: number;
  transcript?: string;
  recordingUrl?: string;
  /** USD. */
  cost?: number;
  /** The provider's own analysis of the call (Vapi `analysis`, Retell `call_analysis`). */
  providerAnalysis?: Record<string, unknown>;
}

/** A function the assistant may call during a call; answered by Parley's in-call tools. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

/** Parley's provider-neutral assistant; each adapter renders it in its vendor's shape. */
export interface AssistantSpec {
  name: string;
  /** What the assistant says first. `{{variable}}` placeholders are filled per call. */
  firstMessage: string;
  systemPrompt: string;
  voicemailMessage?: string;
  voice?: { provider: string; voiceId: string };
  model?: { provider: string; model: string };
  maxDurationSeconds?: number;
  endCallPhrases?: string[];
  language?: string;
  /** Where the provider sends the assistant's webhooks and tool calls. */
  webhook: { url: string; secret?: string };
  tools: ToolDefinition[];
}

/** What Parley can read back of an assistant that lives on the provider. */
export interface ProviderAssistant {
  providerAssistantId: string;
  name: string;
  firstMessage?: string;
  systemPrompt?: string;
}

export interface VoiceProvider {
  readonly kind: VoiceProviderKind;
  /**
   * Places a call. Never retried after the request may have reached the provider, so a retry can
   * not place a second call. Throws CapacityError when the account is at its concurrency limit,
   * UpstreamError with the provider's message when it refuses.
   */
  dial(request: DialRequest): Promise<{ providerCallId: string }>;
  /** Reads a call back (the reconciler's view); safe to retry. */
  getCall(providerCallId: string): Promise<ProviderCall>;
  /** Creates the assistant; like a dial, never retried once the request may have arrived. */
  createAssistant(spec: AssistantSpec): Promise<{ providerAssistantId: string }>;
  /** Replaces the assistant's configuration with the spec; safe to retry. */
  updateAssistant(providerAssistantId: string, spec: AssistantSpec): Promise<void>;
  /** Throws UpstreamError with provider_status 404 when the provider has no such assistant. */
  getAssistant(providerAssistantId: string): Promise<ProviderAssistant>;
  /** Deletes the call's recording on the provider; UnsupportedError where the vendor offers no way. */
  deleteRecording(providerCallId: string): Promise<void>;
}
