import type { FastifyInstance } from "fastify";
import { registerWhatsAppControlRoutes } from "./control-routes";
import { registerMetaRoutes } from "./meta-routes";
import { registerTwilioRoutes } from "./twilio-routes";
import type { WhatsAppSim } from "./whatsapp";

/** Twilio under `/twilio`, Meta under `/meta`, and `/_sim/whatsapp/*`; webhooks go to Parley's real provider paths. */
export function registerWhatsAppRoutes(app: FastifyInstance, sim: WhatsAppSim, parleyUrl: string): void {
  const parley = parleyUrl.replace(/\/$/, "");
  const urls = { twilioInbound: `${parley}/webhooks/twilio/whatsapp`, twilioStatus: `${parley}/webhooks/twilio/status`, metaWebhook: `${parley}/webhooks/meta/whatsapp` };
  registerTwilioRoutes(app, sim, urls.twilioStatus);
  registerMetaRoutes(app, sim, urls.metaWebhook);
  registerWhatsAppControlRoutes(app, sim, urls);
}
