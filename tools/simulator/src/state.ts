import { CalcomCalendar } from "./calcom/calendar";
import { applyPatch, defaultConfig, type SimConfig, type SimConfigPatch } from "./config";
import { AssistantStore } from "./voice/assistants";
import { VoiceEngine } from "./voice/engine";
import { WebhookSender } from "./voice/webhooks";

/** Everything the simulator remembers; `/_sim/reset` starts it over. */
export class SimState {
  config: SimConfig = defaultConfig();
  readonly voice = new VoiceEngine(() => this.config);
  readonly webhooks = new WebhookSender(this.voice, () => this.config);
  readonly assistants = new AssistantStore();
  readonly calcom = new CalcomCalendar();
  openaiRequests = 0;

  reset(): void {
    this.config = defaultConfig();
    this.voice.reset();
    this.webhooks.reset();
    this.assistants.reset();
    this.calcom.reset();
    this.openaiRequests = 0;
  }

  configure(patch: SimConfigPatch): SimConfig {
    this.config = applyPatch(this.config, patch);
    return this.config;
  }
}
