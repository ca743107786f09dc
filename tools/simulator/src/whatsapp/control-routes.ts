import type { FastifyInstance, FastifyReply } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { publicView } from "./accounts";
import { AccountRegistration, ClockAdvance, InboundMessage, OutboxQuery, TemplateSeed } from "./control-schemas";
import type { WhatsAppSim } from "./whatsapp";

const DEFAULT_PROFILE_NAME = "Sim Customer";

const notFound = (reply: FastifyReply, detail: string) => reply.code(404).type("application/problem+json").send({ type: "about:blank", title: "Not Found", status: 404, detail });

export interface ParleyWebhookUrls {
  twilioInbound: string;
  metaWebhook: string;
}

// Control API for tests and the sandbox UI: accounts, templates, inbound messages, the outbox, webhook attempts, simulated time.
export function registerWhatsAppControlRoutes(app: FastifyInstance, sim: WhatsAppSim, urls: ParleyWebhookUrls): void {
  const control = app.withTypeProvider<TypeBoxTypeProvider>();

  control.post("/_sim/whatsapp/accounts", { schema: { body: AccountRegistration } }, async (request) => {
    const body = request.body;
    const sender = body.provider === "twilio" ? sim.accounts.registerTwilio(body.account_sid, body.auth_token, body.number) : sim.accounts.registerMeta(body);
    return publicView(sender);
  });
  control.get("/_sim/whatsapp/accounts", async () => ({ data: sim.accounts.list().map(publicView) }));

  control.post("/_sim/whatsapp/templates", { schema: { body: TemplateSeed } }, async (request, reply) => {
    const { provider, account, rejection_reason, ...input } = request.body;
    // A Twilio account is its sid, known yet or not (sends register it); a Meta template belongs to a registered business account.
    const owner = provider === "twilio" ? account : sim.accounts.metaBusinessAccount(account);
    if (!owner) return notFound(reply, `no meta phone number id or business account id ${account} is registered`);
    const template = sim.templates.upsert({ provider, id: owner }, { ...input, rejectionReason: rejection_reason });
    return { provider, account: owner, id: template.id, name: template.name, language: template.language, category: template.category, status: template.status, body: template.body };
  });

  control.post("/_sim/whatsapp/inbound", { schema: { body: InboundMessage } }, async (request, reply) => {
    const { provider, from, to, text, deliveries = 1, profile_name = DEFAULT_PROFILE_NAME } = request.body;
    const sender = sim.accounts.byNumber(provider, to);
    if (!sender) return notFound(reply, `no ${provider} WhatsApp account is registered for ${to}`);
    const url = provider === "twilio" ? urls.twilioInbound : urls.metaWebhook;
    const received = await sim.receive(sender, { customer: from, text, profileName: profile_name, deliveries }, url);
    return { provider_message_id: received.messageId, deliveries: received.statusCodes.map((status_code) => ({ status_code })) };
  });

  control.get("/_sim/whatsapp/outbox", { schema: { querystring: OutboxQuery } }, async (request) => ({
    data: sim.messages.list(request.query.to).map((m) => ({
      provider: m.provider,
      id: m.id,
      from: m.from,
      to: m.to,
      kind: m.kind,
      text: m.text,
      template: m.template,
      status: m.status,
      error_code: m.errorCode,
      created_at: m.createdAt.toISOString(),
    })),
  }));

  control.get("/_sim/whatsapp/webhooks", async () => ({ data: sim.webhooks.list() }));

  control.post("/_sim/whatsapp/clock", { schema: { body: ClockAdvance } }, async (request) => {
    sim.clock.advance(request.body.advance_ms);
    return { now: new Date(sim.clock.now()).toISOString() };
  });
}
