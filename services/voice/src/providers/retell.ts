import { ProviderHttp, type ProviderHttpOptions } from "./http";
import type { CallStatus, DialRequest, EndedReason, ProviderCall, VoiceProvider } from "./port";

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
}
