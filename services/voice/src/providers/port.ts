// The one shape of a voice provider, whatever the vendor: place a call, read it back.

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
}
