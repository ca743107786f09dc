import type { CallStatus, EndedReason, ProviderCall } from "../providers/port";

const RANK: Record<CallStatus, number> = { queued: 0, ringing: 1, in_progress: 2, ended: 3 };

export interface CallFacts {
  status: CallStatus;
  endedReason: EndedReason | null;
  providerReason: string | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSeconds: number | null;
  transcript: string | null;
  recordingUrl: string | null;
  cost: number | null;
}

/**
 * Merges what a provider says into what is known: the status only moves forward (a late "ringing"
 * after "ended" changes nothing), the first ended reason stands, and facts fill in as they arrive
 * (a transcript that comes after the end is still kept). The same updates in any order give the
 * same facts.
 */
export function merge(current: CallFacts, update: ProviderCall): CallFacts {
  const forward = RANK[update.status] > RANK[current.status];
  const status = forward ? update.status : current.status;
  const ended = status === "ended";
  return {
    status,
    endedReason: current.endedReason ?? (ended && update.status === "ended" ? (update.endedReason ?? "failed") : null),
    providerReason: current.providerReason ?? (update.status === "ended" ? (update.providerReason ?? null) : null),
    // Only the provider's own times: an invented one would make the result depend on arrival order.
    answeredAt: update.answeredAt ?? current.answeredAt,
    endedAt: update.endedAt ?? current.endedAt,
    // Talk time and cost only grow during a call: the largest word wins, whenever it arrives
    // (Bolna reports 0 for both until the call is done).
    durationSeconds: largest(current.durationSeconds, update.durationSeconds),
    transcript: current.transcript || update.transcript || null,
    recordingUrl: current.recordingUrl ?? update.recordingUrl ?? null,
    cost: largest(current.cost, update.cost),
  };
}

function largest(a: number | null, b: number | undefined): number | null {
  if (b === undefined || b === null) return a;
  return a === null ? b : Math.max(a, b);
}

export function changed(a: CallFacts, b: CallFacts): boolean {
  return (Object.keys(a) as (keyof CallFacts)[]).some((k) => String(a[k]) !== String(b[k]));
}
