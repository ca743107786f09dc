import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { connectBus, ensureStreams } from "@parley/bus";
import { ensureDatabase, migrate, createPrisma } from "@parley/db";
import { createClient, createHealthClient } from "@parley/grpc";
import { newId } from "@parley/ids";
import { createLogger, type Logger } from "@parley/logger";
import { initMetrics } from "@parley/metrics";
import { analyticsV1, leadsV1, voiceV1, whatsappV1 } from "@parley/proto";
import { shutdownTelemetry } from "@parley/telemetry";
import { ApiKeys } from "./auth/api-keys";
import { loadGatewayConfig, type GatewayConfig } from "./config";
import { PrismaClient } from "./generated/prisma/client.ts";
import { registerAuth } from "./http/auth";
import { registerHttpMetrics } from "./http/metrics";
import { registerIdempotency } from "./http/idempotency";
import { registerOpenApi } from "./http/openapi";
import { opsRoutes, type ReadinessChecks } from "./http/ops-routes";
import { registerProblemHandlers } from "./http/problems";
import { registerRateLimit } from "./http/rate-limit";
import { registerValidation } from "./http/validation";
import { natsWorkspaceSignals } from "./http/workspace-signals";
import { sharedSchemas } from "./http/schemas";
import { apiKeyRoutes } from "./routes/api-keys";
import type { RouteDeps } from "./routes/deps";
import { callRoutes } from "./routes/calls";
import { conversationRoutes } from "./routes/conversations";
import { whatsappMessagingRoutes } from "./routes/whatsapp-messaging";
import { phoneNumberRoutes } from "./routes/phone-numbers";
import { assistantRoutes } from "./routes/assistants";
import { campaignRoutes } from "./routes/campaigns";
import { analyticsRoutes } from "./routes/analytics";
import { recordingRoutes } from "./routes/recordings";
import { integrationRoutes } from "./routes/integrations";
import { leadRoutes } from "./routes/leads";
import { importRoutes } from "./routes/lead-imports";
import { webhookRoutes, type WebhookDeps } from "./routes/webhooks";
import { workspaceRoutes } from "./routes/workspaces";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
export const LEADS_SERVICE_NAME = "parley.leads.v1.LeadsService";

export interface GatewayParts {
  config: GatewayConfig;
  logger: Logger;
  db: PrismaClient;
  deps: RouteDeps;
  webhooks: WebhookDeps;
  checks: ReadinessChecks;
  isReady: () => boolean;
}

export interface BuiltGateway {
  app: FastifyInstance;
  /** Deletes expired idempotency records and old rate-limit windows. */
  housekeeping(): Promise<void>;
}

export async function buildGateway({ config, logger, db, deps, webhooks, checks, isReady }: GatewayParts): Promise<BuiltGateway> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One access line per request at debug (see http/metrics.ts) instead of Fastify's two at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : newId("req");
    },
  });
  app.addHook("onSend", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });
  for (const schema of sharedSchemas) app.addSchema(schema);
  registerValidation(app);
  registerProblemHandlers(app);
  registerHttpMetrics(app);
  registerAuth(app, deps.keys, config.PARLEY_ADMIN_TOKEN);
  const pruneRateLimits = registerRateLimit(app, db, config.RATE_LIMIT_PER_MINUTE);
  const pruneIdempotency = registerIdempotency(app, db);
  await registerOpenApi(app);
  opsRoutes(app, checks, isReady);
  workspaceRoutes(app, deps);
  apiKeyRoutes(app, deps);
  leadRoutes(app, deps);
  await importRoutes(app, deps, { maxBytes: config.IMPORT_MAX_BYTES });
  integrationRoutes(app, deps);
  callRoutes(app, deps);
  conversationRoutes(app, deps);
  whatsappMessagingRoutes(app, deps);
  phoneNumberRoutes(app, deps);
  assistantRoutes(app, deps);
  campaignRoutes(app, deps, { eventsIntervalMs: config.CAMPAIGN_EVENTS_INTERVAL_MS, heartbeatMs: 15_000 });
  analyticsRoutes(app, deps);
  recordingRoutes(app, deps, { secret: config.RECORDING_LINK_SECRET ?? randomBytes(32).toString("hex"), ttlSeconds: config.RECORDING_LINK_TTL_SECONDS });
  await webhookRoutes(app, webhooks);
  await app.ready();
  return {
    app,
    housekeeping: async () => {
      await pruneRateLimits();
      await pruneIdempotency();
    },
  };
}

export interface RunningGateway {
  url: string;
  stop(): Promise<void>;
}

export async function startGateway(env: NodeJS.ProcessEnv = process.env): Promise<RunningGateway> {
  const config = loadGatewayConfig(env);
  const logger = createLogger({ service: "gateway", level: config.LOG_LEVEL });
  initMetrics("gateway");
  await ensureDatabase(config.DATABASE_URL);
  const applied = await migrate(config.DATABASE_URL, [{ namespace: "gateway", dir: migrationsDir }]);
  if (applied.length) logger.info({ migrations: applied }, "applied migrations");
  const db = createPrisma(PrismaClient, config.DATABASE_URL, { max: config.DB_POOL_SIZE });
  const leads = createClient(leadsV1.LeadsServiceService, LEADS_SERVICE_NAME, config.LEADS_GRPC_ADDR, { deadlineMs: config.GRPC_DEADLINE_MS });
  const options = { deadlineMs: config.GRPC_DEADLINE_MS };
  const voice = createClient(voiceV1.VoiceServiceService, "parley.voice.v1.VoiceService", config.VOICE_GRPC_ADDR, options);
  const whatsapp = createClient(whatsappV1.WhatsAppServiceService, "parley.whatsapp.v1.WhatsAppService", config.WHATSAPP_GRPC_ADDR, options);
  const analytics = createClient(analyticsV1.AnalyticsServiceService, "parley.analytics.v1.AnalyticsService", config.ANALYTICS_GRPC_ADDR, options);
  const leadsHealth = createHealthClient(config.LEADS_GRPC_ADDR);
  // Webhooks are published straight to JetStream; the streams are ensured here too, so the gateway
  // can accept them whichever process starts first.
  const bus = await connectBus({ url: config.NATS_URL, name: "parley-gateway", prefix: config.PARLEY_SUBJECT_PREFIX, logger });
  await ensureStreams(bus.jsm, config.PARLEY_SUBJECT_PREFIX);
  let ready = false;
  const { app, housekeeping } = await buildGateway({
    config,
    logger,
    db,
    deps: { leads: leads.call, voice: voice.call, whatsapp: whatsapp.call, analytics: analytics.call, keys: new ApiKeys(db), voiceSignals: natsWorkspaceSignals(bus.nc, config.PARLEY_SUBJECT_PREFIX) },
    webhooks: { voice: voice.call, whatsapp: whatsapp.call, publicUrl: config.PARLEY_PUBLIC_URL, metaVerifyToken: config.META_WEBHOOK_VERIFY_TOKEN, js: bus.js, prefix: config.PARLEY_SUBJECT_PREFIX, publishTimeoutMs: config.GRPC_DEADLINE_MS },
    isReady: () => ready,
    checks: {
      database: async () => {
        await db.$queryRawUnsafe("select 1");
      },
      nats: async () => {
        if (bus.nc.isClosed()) throw new Error("connection closed");
        await bus.nc.flush();
      },
      leads: async () => {
        const status = await leadsHealth.check(LEADS_SERVICE_NAME);
        if (status !== "SERVING") throw new Error(status);
      },
    },
  });
  const timer = setInterval(() => void housekeeping().catch((err: unknown) => logger.warn({ err }, "housekeeping failed")), 60_000);
  timer.unref();
  const address = await app.listen({ port: config.GATEWAY_PORT, host: config.HTTP_HOST });
  ready = true;
  logger.info({ url: address }, "gateway ready");

  let stopped: Promise<void> | undefined;
  return {
    url: address,
    stop: () =>
      (stopped ??= (async () => {
        ready = false;
        clearInterval(timer);
        // Stops accepting and lets in-flight requests finish, for at most SHUTDOWN_GRACE_MS.
        const force = setTimeout(() => app.server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
        await app.close();
        clearTimeout(force);
        for (const client of [leads, voice, whatsapp, analytics, leadsHealth]) client.close();
        await bus.close();
        await db.$disconnect();
        await shutdownTelemetry();
        logger.info("gateway stopped");
      })()),
  };
}
