import { runMain } from "@parley/service";
import { startWhatsAppService } from "./app";

runMain("whatsapp", () => startWhatsAppService());
