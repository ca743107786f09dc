import { ProviderHttp, type ProviderHttpOptions } from "./http";
import type { CallStatus, DialRequest, EndedReason, ProviderCall, VoiceProvider } from "./port";

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
}
