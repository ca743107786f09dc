// Provider webhook bodies → one Parley shape: which call, and what the provider now says about it.
import { fromBolnaExecution, type BolnaExecution } from "../providers/bolna";
import type { ProviderCall } from "../providers/port";
import { fromRetellCall, type RetellCallBody } from "../providers/retell";
import { fromVapiCall, vapiEndedReason, vapiStatus } from "../providers/vapi";

export interface NormalizedWebhook {
  type: string;
  /** Parley's own call id when the provider echoes our metadata back. */
  callId?: string;
  providerCallId?: string;
  /** Absent for types that say nothing about the call's state (transcript deltas, speech updates…). */
  update?: ProviderCall;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

function vapi(body: Json): NormalizedWebhook {
  const message = obj(body.message);
  const call = obj(message.call);
  const type = str(message.type) ?? "unknown";
  const providerCallId = str(call.id);
  const callId = str(obj(call.metadata).parley_call_id);
  const base = { type, callId, providerCallId };
  if (!providerCallId) return base;
  if (type === "status-update") {
    const status = vapiStatus(str(message.status));
    return { ...base, update: { providerCallId, status, ...(status === "ended" ? { endedReason: vapiEndedReason(str(message.endedReason)), providerReason: str(message.endedReason) } : {}) } };
  }
  if (type === "end-of-call-report") {
    // The report's fields, at the message level or under artifact (newer payloads).
    const report = fromVapiCall({
      id: providerCallId,
      status: "ended",
      endedReason: str(message.endedReason),
      startedAt: str(message.startedAt),
      endedAt: str(message.endedAt),
      cost: typeof message.cost === "number" ? message.cost : undefined,
      durationSeconds: typeof message.durationSeconds === "number" ? Math.round(message.durationSeconds) : undefined,
      artifact: obj(message.artifact) as { transcript?: string; recordingUrl?: string },
      transcript: str(message.transcript),
      recordingUrl: str(message.recordingUrl),
      analysis: obj(message.analysis),
    });
    return { ...base, update: report };
  }
  return base;
}

function retell(body: Json): NormalizedWebhook {
  const call = obj(body.call) as unknown as RetellCallBody & { metadata?: Json };
  const type = str(body.event) ?? "unknown";
  const base = { type, callId: str(obj(call.metadata).parley_call_id), providerCallId: str(call.call_id) };
  if (!base.providerCallId) return base;
  if (type === "call_started") return { ...base, update: { ...fromRetellCall(call), status: "in_progress" } };
  if (type === "call_ended" || type === "call_analyzed") return { ...base, update: { ...fromRetellCall(call), status: "ended" } };
  return base;
}

function bolna(body: Json): NormalizedWebhook {
  const execution = body as unknown as BolnaExecution & { user_data?: Json; context_details?: Json };
  const base = {
    type: `execution.${str(execution.status) ?? "unknown"}`,
    callId: str(obj(execution.user_data).parley_call_id) ?? str(obj(obj(execution.context_details).recipient_data).parley_call_id),
    providerCallId: str(execution.id),
  };
  return base.providerCallId ? { ...base, update: fromBolnaExecution(execution) } : base;
}

export function normalizeWebhook(provider: string, body: unknown): NormalizedWebhook {
  const json = obj(body);
  if (provider === "vapi") return vapi(json);
  if (provider === "retell") return retell(json);
  if (provider === "bolna") return bolna(json);
  return { type: "unknown" };
}
