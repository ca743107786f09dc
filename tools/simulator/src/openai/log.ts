/** What a chat completion request asked for: a JSON answer, a tool decision, or plain text. */
export type OpenAiRequestKind = "structured" | "tools" | "text";

/** How the simulator answered: normally, with an injected failure, or refusing a bad request (401/400). */
export type OpenAiOutcome = "ok" | "429" | "500" | "malformed" | "refusal" | "400" | "401";

export interface OpenAiRequestRecord {
  at: string;
  model: string | null;
  kind: OpenAiRequestKind;
  outcome: OpenAiOutcome;
  schema_name?: string;
  /** What the model was given (role and text), so tests can see the prompt and the history. */
  messages?: { role: string; text: string }[];
}

/**
 * Every chat completion request in arrival order, and the latency timers still running: they are
 * cut short on reset and before the app closes, so a long configured latency never holds up a test.
 */
export class OpenAiLog {
  private records: OpenAiRequestRecord[] = [];
  private readonly waits = new Map<NodeJS.Timeout, () => void>();

  get count(): number {
    return this.records.length;
  }

  list(): readonly OpenAiRequestRecord[] {
    return this.records;
  }

  record(entry: OpenAiRequestRecord): void {
    this.records.push(entry);
  }

  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      this.waits.set(timer, resolve);
    });
  }

  /** Ends every wait now; the requests behind them are answered at once. */
  cancelWaits(): void {
    for (const [timer, resolve] of this.waits) {
      clearTimeout(timer);
      resolve();
    }
    this.waits.clear();
  }

  reset(): void {
    this.records = [];
    this.cancelWaits();
  }
}
