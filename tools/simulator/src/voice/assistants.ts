import type { VoiceProviderName } from "./engine";
import type { Json } from "./wire";

/** Vapi has assistants, Bolna agents, Retell agents and the LLMs (prompts and tools) they answer with. */
export type AssistantKind = "assistant" | "agent" | "llm";

export interface StoredAssistant {
  provider: VoiceProviderName;
  kind: AssistantKind;
  id: string;
  name: string | null;
  /** What the provider keeps for it, in the provider's own shape. */
  body: Json;
  createdAt: Date;
  updatedAt: Date;
}

export type AssistantInput = Pick<StoredAssistant, "provider" | "kind" | "id" | "name" | "body">;

/** The assistants and agents clients created at each provider; `/_sim/reset` forgets them. */
export class AssistantStore {
  private readonly entries = new Map<string, StoredAssistant>();

  private static key(provider: VoiceProviderName, kind: AssistantKind, id: string): string {
    return `${provider}/${kind}/${id}`;
  }

  /** Creates the entry, or replaces one with the same id while keeping when it was created. */
  save(input: AssistantInput, now = new Date()): StoredAssistant {
    const key = AssistantStore.key(input.provider, input.kind, input.id);
    const entry: StoredAssistant = { ...input, createdAt: this.entries.get(key)?.createdAt ?? now, updatedAt: now };
    this.entries.set(key, entry);
    return entry;
  }

  get(provider: VoiceProviderName, kind: AssistantKind, id: string): StoredAssistant | undefined {
    return this.entries.get(AssistantStore.key(provider, kind, id));
  }

  list(provider?: VoiceProviderName): StoredAssistant[] {
    return [...this.entries.values()].filter((entry) => !provider || entry.provider === provider);
  }

  reset(): void {
    this.entries.clear();
  }
}
