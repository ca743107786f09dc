import { CalcomCalendar } from "./calcom/calendar";
import { applyPatch, defaultConfig, type SimConfig, type SimConfigPatch } from "./config";
import { OpenAiLog } from "./openai/log";
import { AssistantStore } from "./voice/assistants";
import { VoiceEngine } from "./voice/engine";
import { WebhookSender } from "./voice/webhooks";
import { WhatsAppSim } from "./whatsapp/whatsapp";

/** Everything the simulator remembers; `/_sim/reset` starts it over. */
export class SimState {
  config: SimConfig = defaultConfig();
  readonly voice = new VoiceEngine(() => this.config);
  readonly webhooks = new WebhookSender(this.voice, () => this.config);
  readonly assistants = new AssistantStore();
  readonly calcom = new CalcomCalendar();
  readonly openai = new OpenAiLog();
  readonly whatsapp = new WhatsAppSim(() => this.config);

  /** Chat completion requests since the last reset, refused and failed ones included. */
  get openaiRequests(): number {
    return this.openai.count;
  }

  reset(): void {
    this.config = defaultConfig();
    this.voice.reset();
    this.webhooks.reset();
    this.assistants.reset();
    this.calcom.reset();
    this.openai.reset();
    this.whatsapp.reset();
  }

  configure(patch: SimConfigPatch): SimConfig {
    this.config = applyPatch(this.config, patch);
    return this.config;
  }
}
