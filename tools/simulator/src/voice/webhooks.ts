import { createHmac } from "node:crypto";
import type { SimConfig } from "../config";
import type { SimCall, VoiceEngine } from "./engine";
import { bolnaStage, retellCall, vapiCall } from "./routes";

interface Delivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

const hmac = (key: string, ...parts: string[]) => parts.reduce((mac, p) => mac.update(p), createHmac("sha256", key)).digest("hex");
const between = ([min, max]: [number, number]) => min + Math.floor(Math.random() * Math.max(0, max - min + 1));

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Sends each call's webhooks the way its provider does, signed the way it signs, in its order
 * (Vapi: status-update per status then end-of-call-report; Retell: call_started, call_ended,
 * call_analyzed; Bolna, unsigned: the execution at initiated, ringing, in-progress,
 * call-disconnected and completed, or at its failure status). Test number 0106 sends every webhook three times in shuffled order at the end;
 * 0107 never sends the terminal ones.
 */
export class WebhookSender {
  private readonly held = new Map<string, Delivery[]>();
  readonly stats = { sent: 0, failed: 0 };

  constructor(
    engine: VoiceEngine,
    private readonly config: () => SimConfig,
  ) {
    engine.onChange((call) => this.onChange(call));
  }

  reset(): void {
    this.held.clear();
    this.stats.sent = 0;
    this.stats.failed = 0;
  }

  private render(call: SimCall): Delivery[] {
    const hook = call.webhook;
    if (!hook) return [];
    const sign = (body: string): Record<string, string> => {
      if (call.provider === "vapi") return hook.secret ? { "x-vapi-signature": hmac(hook.secret, body) } : {};
      const v = String(Date.now());
      return hook.secret ? { "x-retell-signature": `v=${v},d=${hmac(hook.secret, body, v)}` } : {};
    };
    const delivery = (payload: unknown): Delivery => {
      const body = JSON.stringify(payload);
      return { url: hook.url, body, headers: { "content-type": "application/json", ...sign(body) } };
    };
    if (call.provider === "vapi") {
      if (call.status === "queued") return [];
      const timestamp = Date.now();
      const status = { type: "status-update", status: call.status, timestamp, call: vapiCall(call), ...(call.status === "ended" ? { endedReason: (vapiCall(call) as { endedReason?: string }).endedReason } : {}) };
      if (call.status !== "ended") return [delivery({ message: status })];
      const ended = vapiCall(call) as Record<string, unknown>;
      const report = { type: "end-of-call-report", timestamp, call: ended, endedReason: ended.endedReason, startedAt: ended.startedAt, endedAt: ended.endedAt, cost: ended.cost, artifact: ended.artifact, analysis: ended.analysis };
      return [delivery({ message: status }), delivery({ message: report })];
    }
    if (call.provider === "bolna") {
      if (call.status === "ringing") return [delivery(bolnaStage(call, "initiated")), delivery(bolnaStage(call, "ringing"))];
      if (call.status === "in-progress") return [delivery(bolnaStage(call, "in-progress"))];
      if (call.status !== "ended") return [];
      if (!call.answeredAt) return [delivery(bolnaStage(call, call.outcome === "busy" ? "busy" : "no-answer"))];
      return [delivery(bolnaStage(call, "call-disconnected")), delivery(bolnaStage(call, "completed"))];
    }
    if (call.provider === "retell") {
      if (call.status === "in-progress") return [delivery({ event: "call_started", call: retellCall(call) })];
      if (call.status === "ended") return [delivery({ event: "call_ended", call: retellCall(call) }), delivery({ event: "call_analyzed", call: { ...retellCall(call), call_analysis: { call_summary: "", user_sentiment: "Neutral" } } })];
    }
    return [];
  }

  private onChange(call: SimCall): void {
    if (call.provider === "vapi" && call.status === "in-progress" && (call.scenario === "books_meeting" || call.scenario === "asks_opt_out")) void this.useTools(call);
    const deliveries = this.render(call);
    if (call.scenario === "drop_terminal_webhooks" && call.status === "ended") return;
    if (call.scenario === "duplicate_shuffled_webhooks") {
      const held = [...(this.held.get(call.id) ?? []), ...deliveries];
      if (call.status !== "ended") {
        this.held.set(call.id, held);
        return;
      }
      this.held.delete(call.id);
      void this.sendInOrder(shuffle([...held, ...held, ...held]));
      return;
    }
    void this.sendInOrder(deliveries);
  }

  /**
   * The assistant's side of the conversation for 0108 (asks for availability, then books the first
   * slot offered) and 0109 (opts the callee out), as Vapi tool-calls whose results come back in the
   * response.
   */
  private async useTools(call: SimCall): Promise<void> {
    let n = 0;
    const tool = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      n += 1;
      const payload = { message: { type: "tool-calls", timestamp: Date.now(), toolCallList: [{ id: `call_${call.id}_${n}`, type: "function", function: { name, arguments: args } }], call: vapiCall(call) } };
      const body = JSON.stringify(payload);
      const headers: Record<string, string> = { "content-type": "application/json", ...(call.webhook?.secret ? { "x-vapi-signature": hmac(call.webhook.secret, body) } : {}) };
      try {
        const res = await fetch(call.webhook!.url, { method: "POST", headers, body, signal: AbortSignal.timeout(20_000) });
        const answer = (await res.json()) as { results?: { result?: string }[] };
        this.stats.sent += 1;
        return JSON.parse(answer.results?.[0]?.result ?? "{}") as Record<string, unknown>;
      } catch {
        this.stats.failed += 1;
        return {};
      }
    };
    if (!call.webhook) return;
    if (call.scenario === "asks_opt_out") {
      await tool("opt_out", { reason: "the callee asked not to be called again" });
      return;
    }
    const availability = await tool("check_availability", { count: 3 });
    const slot = Array.isArray(availability.slots) ? (availability.slots[0] as string | undefined) : undefined;
    if (slot) await tool("book_appointment", { start: slot, notes: "booked by the simulated assistant" });
  }

  private async sendInOrder(deliveries: Delivery[]): Promise<void> {
    for (const d of deliveries) {
      await new Promise((r) => setTimeout(r, between(this.config().webhook_delay_ms)));
      try {
        const res = await fetch(d.url, { method: "POST", headers: d.headers, body: d.body, signal: AbortSignal.timeout(10_000) });
        if (res.ok) this.stats.sent += 1;
        else this.stats.failed += 1;
      } catch {
        this.stats.failed += 1;
      }
    }
  }
}
