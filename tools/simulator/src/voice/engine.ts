import { randomUUID } from "node:crypto";
import type { SimConfig } from "../config";
import { outcomeOf, transcriptFor, voiceScenario, type SimOutcome, type VoiceScenario } from "./scenarios";

export const VOICE_PROVIDERS = ["vapi", "bolna", "retell"] as const;
export type VoiceProviderName = (typeof VOICE_PROVIDERS)[number];

export type SimCallStatus = "queued" | "ringing" | "in-progress" | "ended";

export interface SimCall {
  id: string;
  provider: VoiceProviderName;
  to: string;
  from: string;
  assistant: string;
  variables: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** Set for calls that came in (Retell custom telephony); placed calls are outbound. */
  direction?: "inbound" | "outbound";
  /** Where this call's webhooks go, and what signs them (Vapi: the server secret; Retell: the API key). */
  webhook?: { url: string; secret?: string };
  scenario: VoiceScenario;
  outcome: SimOutcome;
  status: SimCallStatus;
  createdAt: Date;
  ringingAt?: Date;
  answeredAt?: Date;
  endedAt?: Date;
  transcript: string;
  recordingUrl?: string;
  /** Set when the client deleted the call's data; a call still running then never gets a recording. */
  recordingDeleted?: boolean;
  cost: number;
}

export interface ProviderStats {
  active: number;
  max_concurrent: number;
  total: number;
  rejected_429: number;
}

export type DialResult =
  | { kind: "placed"; call: SimCall }
  | { kind: "capacity"; limit: number }
  | { kind: "upstream_failure"; message: string }
  | { kind: "invalid_number"; message: string };

export type CallListener = (call: SimCall) => void;

const between = ([min, max]: [number, number]) => min + Math.floor(Math.random() * Math.max(0, max - min + 1));

/**
 * The calls of every voice provider: each provider account has a concurrency limit (429 above it,
 * like the real ones), and a call walks queued → ringing → in-progress → ended on timers set by
 * /_sim/config, ending as its test number says.
 */
export class VoiceEngine {
  readonly calls = new Map<string, SimCall>();
  private stats = VoiceEngine.emptyStats();
  private timers = new Set<NodeJS.Timeout>();
  private listeners: CallListener[] = [];

  constructor(private readonly config: () => SimConfig) {}

  private static emptyStats(): Record<VoiceProviderName, ProviderStats> {
    return Object.fromEntries(VOICE_PROVIDERS.map((p) => [p, { active: 0, max_concurrent: 0, total: 0, rejected_429: 0 }])) as Record<VoiceProviderName, ProviderStats>;
  }

  /** Called on every status change (webhook senders subscribe here). */
  onChange(listener: CallListener): void {
    this.listeners.push(listener);
  }

  statistics(): Record<VoiceProviderName, ProviderStats> {
    return structuredClone(this.stats);
  }

  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.calls.clear();
    this.stats = VoiceEngine.emptyStats();
  }

  dial(
    provider: VoiceProviderName,
    input: Pick<SimCall, "to" | "from" | "assistant" | "variables" | "metadata" | "webhook" | "direction">,
  ): DialResult {
    const scenario = voiceScenario(input.to);
    if (scenario === "dial_5xx") return { kind: "upstream_failure", message: "simulated upstream failure" };
    if (scenario === "dial_invalid" || !/^\+[1-9]\d{6,14}$/.test(input.to)) return { kind: "invalid_number", message: `${input.to} is not a valid phone number` };
    const stats = this.stats[provider];
    const limit = this.config().concurrency_limit[provider];
    if (stats.active >= limit) {
      stats.rejected_429 += 1;
      return { kind: "capacity", limit };
    }
    const call: SimCall = {
      id: randomUUID(),
      provider,
      ...input,
      scenario,
      outcome: outcomeOf(scenario),
      status: "queued",
      createdAt: new Date(),
      transcript: "",
      cost: 0,
    };
    this.calls.set(call.id, call);
    stats.active += 1;
    stats.total += 1;
    stats.max_concurrent = Math.max(stats.max_concurrent, stats.active);
    this.schedule(call);
    return { kind: "placed", call };
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private change(call: SimCall, status: SimCallStatus): void {
    call.status = status;
    for (const listener of this.listeners) listener(call);
  }

  private schedule(call: SimCall): void {
    const config = this.config();
    const ring = config.ring_ms;
    this.after(Math.min(ring, 50), () => {
      call.ringingAt = new Date();
      this.change(call, "ringing");
      this.after(ring, () => {
        if (call.outcome === "no_answer" || call.outcome === "busy") return this.end(call);
        call.answeredAt = new Date();
        this.change(call, "in-progress");
        this.after(between(config.call_duration_ms), () => this.end(call));
      });
    });
  }

  private end(call: SimCall): void {
    call.endedAt = new Date();
    call.transcript = transcriptFor(call.scenario, call.variables);
    const talkedMs = call.answeredAt ? call.endedAt.getTime() - call.answeredAt.getTime() : 0;
    call.cost = Math.round((0.02 + talkedMs / 60_000 * 0.11) * 10_000) / 10_000;
    if (call.answeredAt && !call.recordingDeleted) call.recordingUrl = `https://recordings.sim.parley.dev/${call.provider}/${call.id}.wav`;
    this.stats[call.provider].active -= 1;
    this.change(call, "ended");
  }

  get(provider: VoiceProviderName, id: string): SimCall | undefined {
    const call = this.calls.get(id);
    return call?.provider === provider ? call : undefined;
  }

  /** The call stays (its status and cost are still reported); only the recording goes. */
  deleteRecording(call: SimCall): void {
    call.recordingDeleted = true;
    delete call.recordingUrl;
  }
}
