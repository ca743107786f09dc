import { ProviderHttp, type ProviderHttpOptions } from "./http";
import type { CallStatus, DialRequest, EndedReason, ProviderCall, VoiceProvider } from "./port";

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
}
