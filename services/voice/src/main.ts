import { runMain } from "@parley/service";
import { startVoiceService } from "./app";

runMain("voice", () => startVoiceService());
