import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { registerCalcomRoutes } from "./calcom/routes";
import { SimConfigPatch } from "./config";
import { registerOpenAiRoutes } from "./openai/routes";
import { SimState } from "./state";
import { registerBolnaAgentRoutes } from "./voice/bolna-agents";
import { VOICE_PROVIDERS } from "./voice/engine";
import { registerRetellAgentRoutes } from "./voice/retell-agents";
import { registerVoiceRoutes } from "./voice/routes";
import { registerVapiAssistantRoutes } from "./voice/vapi-assistants";
import { registerWhatsAppRoutes } from "./whatsapp/routes";

export interface SimulatorOptions {
  /** Where webhooks go (the gateway). */
  parleyUrl: string;
  logger?: boolean;
}

/**
 * The provider simulator: one path prefix per provider (`/vapi`, `/bolna`, `/retell`, `/twilio`,
 * `/meta`, `/openai/v1`, `/calcom`, added by the voice and WhatsApp work) and the control API.
 */
export async function buildSimulator(options: SimulatorOptions): Promise<{ app: FastifyInstance; state: SimState }> {
  const state = new SimState();
  const app = Fastify({ logger: options.logger ?? false, ajv: { customOptions: { removeAdditional: false, allErrors: true } } }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode ?? 500;
    return reply
      .code(status)
      .type("application/problem+json")
      .send({ type: "about:blank", title: status < 500 ? "Invalid Request" : "Simulator Error", status, detail: error.message });
  });

  app.get("/healthz", async () => ({ status: "ok", parley_url: options.parleyUrl }));
  app.post("/_sim/reset", async () => {
    state.reset();
    return { status: "reset" };
  });
  app.get("/_sim/config", async () => state.config);
  app.post("/_sim/config", { schema: { body: SimConfigPatch } }, async (request) => state.configure(request.body));
  app.get("/_sim/stats", async () => ({ ...state.voice.statistics(), webhooks: { ...state.webhooks.stats }, openai: { requests: state.openaiRequests }, whatsapp: state.whatsapp.statistics() }));
  app.get("/_sim/calls", { schema: { querystring: Type.Object({ to: Type.Optional(Type.String()) }) } }, async (request) => ({
    data: [...state.voice.calls.values()]
      .filter((c) => !request.query.to || c.to === request.query.to)
      .map((c) => ({
        id: c.id,
        provider: c.provider,
        to: c.to,
        assistant: c.assistant,
        variables: c.variables,
        status: c.status,
        outcome: c.outcome,
        started_at: c.createdAt.toISOString(),
        ended_at: c.endedAt?.toISOString() ?? null,
      })),
  }));
  app.get("/_sim/assistants", { schema: { querystring: Type.Object({ provider: Type.Optional(Type.Union(VOICE_PROVIDERS.map((p) => Type.Literal(p)))) }) } }, async (request) => ({
    data: state.assistants.list(request.query.provider).map(({ provider, id, kind, name, body }) => ({ provider, id, kind, name, body })),
  }));
  app.get("/_sim/calcom/bookings", async () => ({ data: state.calcom.list() }));
  app.get("/_sim/openai/requests", async () => ({ data: state.openai.list() }));
  registerVoiceRoutes(app, state.voice, state.assistants, options.parleyUrl);
  registerVapiAssistantRoutes(app, state.assistants);
  registerBolnaAgentRoutes(app, state.assistants);
  registerRetellAgentRoutes(app, state.assistants);
  registerCalcomRoutes(app, state.calcom);
  registerOpenAiRoutes(app, state.openai, () => state.config.openai);
  registerWhatsAppRoutes(app, state.whatsapp, options.parleyUrl);
  app.addHook("onClose", async () => state.reset());
  await app.ready();
  return { app, state };
}
