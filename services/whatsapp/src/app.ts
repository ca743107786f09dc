import { fileURLToPath } from "node:url";
import { hostname } from "node:os";
import { z } from "zod";
import { env as envTypes } from "@parley/config";
import { createPrisma } from "@parley/db";
import { createClient } from "@parley/grpc";
import { encryptionKeysEnv, IntegrationStore } from "@parley/integrations";
import { runService, type RunningService } from "@parley/service";
import { leadsV1, voiceV1, whatsappV1 } from "@parley/proto";
import { optOutConsumer, optOutProjectionRpc } from "@parley/consent-projection";
import { PrismaClient } from "./generated/prisma/client.ts";
import { verifyTwilioRpc } from "./webhooks/twilio-signature";
import { SenderDirectory, senderAwareIntegrationRpcs } from "./senders/sender-directory";
import { Conversations } from "./conversations/conversations";
import { StatusReactions } from "./conversations/status-reactions";
import { whatsappWebhookConsumer } from "./conversations/webhook-consumer";
import { MessagingProviders } from "./messaging/messaging-providers";
import { MessageSender } from "./messaging/message-sender";
import { OpenAiModels } from "@parley/integrations/openai";
import { AgentTools } from "./agent/agent-tools";
import { TurnQueue } from "./agent/turn-queue";
import { TurnRunner } from "./agent/turn-runner";
import { TurnWorker } from "./agent/turn-worker";
import { conversationRpcs } from "./grpc/conversation-rpcs";
import { webhookRpcs } from "./grpc/webhook-rpcs";
import { messagingRpcs } from "./grpc/messaging-rpcs";
import { TemplateRegistry } from "./templates/template-registry";
import { MessageQueue } from "./messaging/message-queue";
import { OutboundMessages } from "./messaging/outbound-messages";
import { PendingSender } from "./messaging/pending-sender";
import { Broadcasts } from "./broadcasts/broadcasts";
import { BroadcastPreparer } from "./broadcasts/broadcast-preparer";
import { followUpConsumer } from "./follow-ups/follow-up-consumer";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const WHATSAPP_INTEGRATIONS = ["twilio", "meta_whatsapp", "openai"] as const;

const whatsappEnv = {
  PARLEY_ENCRYPTION_KEYS: encryptionKeysEnv,
  LEADS_GRPC_ADDR: envTypes.grpcAddress("127.0.0.1:50051"),
  VOICE_GRPC_ADDR: envTypes.grpcAddress("127.0.0.1:50052"),
  GRPC_DEADLINE_MS: envTypes.int(5000, 50),
  /** The gateway's public URL: Twilio posts each message's status callbacks there. */
  PARLEY_PUBLIC_URL: envTypes.url("http://127.0.0.1:8080"),
  /** Unset: the real APIs. Local runs and tests point them at the simulator. */
  TWILIO_BASE_URL: envTypes.url().optional(),
  META_BASE_URL: envTypes.url().optional(),
  WHATSAPP_PROVIDER_TIMEOUT_MS: envTypes.int(10_000, 100),
  /** The operator's OpenAI key, for workspaces without their own. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: envTypes.url("https://api.openai.com/v1"),
  AGENT_MODEL: z.string().min(1).default("gpt-4o-mini"),
  AGENT_TIMEOUT_MS: envTypes.int(30_000, 100),
  /** The SDK's own retries of 429/5xx within one attempt. */
  AGENT_MAX_RETRIES: envTypes.int(3, 0),
  /** Attempts per turn when the LLM stays unavailable, spaced by AGENT_RETRY_BASE_MS × 2^n. */
  AGENT_MAX_ATTEMPTS: envTypes.int(5, 1),
  AGENT_RETRY_BASE_MS: envTypes.int(2000, 1),
  /** Concurrent turns across all replicas. */
  AGENT_GLOBAL_CONCURRENCY: envTypes.int(20, 1),
  /** Concurrent turns per replica. */
  AGENT_REPLICA_CONCURRENCY: envTypes.int(8, 1),
  /** A lead's messages sent closer together than this are answered in one turn. */
  AGENT_QUIET_MS: envTypes.int(800, 0),
  AGENT_LEASE_MS: envTypes.int(60_000, 1000),
  WHATSAPP_WEBHOOK_CONCURRENCY: envTypes.int(8, 1),
  /** Messages per second per sender number, the most a broadcast may ask for (Meta's default: 80). */
  WHATSAPP_SENDER_RATE: envTypes.int(80, 1),
  /** How long the copy of a workspace's templates is used before the provider is asked again. */
  TEMPLATE_SYNC_TTL_MS: envTypes.int(600_000, 0),
};

export function startWhatsAppService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "whatsapp",
      migrationsDir,
      env: whatsappEnv,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, pool, grpc, consume, background, config, logger }) {
        consume(optOutConsumer("whatsapp"));
        const options = { deadlineMs: config.GRPC_DEADLINE_MS };
        const leads = createClient(leadsV1.LeadsServiceService, "parley.leads.v1.LeadsService", config.LEADS_GRPC_ADDR, options);
        const voice = createClient(voiceV1.VoiceServiceService, "parley.voice.v1.VoiceService", config.VOICE_GRPC_ADDR, options);
        const integrations = new IntegrationStore(db, config.PARLEY_ENCRYPTION_KEYS, WHATSAPP_INTEGRATIONS);
        const senders = new SenderDirectory(db);
        const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
        const conversations = new Conversations(db, leads.call);
        const providers = new MessagingProviders(integrations, { twilioBaseUrl: config.TWILIO_BASE_URL, metaBaseUrl: config.META_BASE_URL, timeoutMs: config.WHATSAPP_PROVIDER_TIMEOUT_MS });
        const templates = new TemplateRegistry(db, providers, config.TEMPLATE_SYNC_TTL_MS, logger);
        const queue = new MessageQueue(db, leads.call, providers);
        const reactions = new StatusReactions(leads.call, templates, queue, logger);
        consume(whatsappWebhookConsumer(conversations, reactions, config.WHATSAPP_WEBHOOK_CONCURRENCY, logger));
        consume(followUpConsumer(leads.call, templates, queue, logger));
        const sender = new MessageSender(db, leads.call, providers, reactions, config.PARLEY_PUBLIC_URL, logger);
        const outbound = new OutboundMessages(db, templates, queue, sender);
        const broadcasts = new Broadcasts(db, templates, config.WHATSAPP_SENDER_RATE);
        const models = new OpenAiModels(integrations, {
          apiKey: config.OPENAI_API_KEY,
          baseURL: config.OPENAI_BASE_URL,
          model: config.AGENT_MODEL,
          timeoutMs: config.AGENT_TIMEOUT_MS,
          maxRetries: config.AGENT_MAX_RETRIES,
        });
        if (!config.OPENAI_API_KEY) logger.warn("OPENAI_API_KEY is not set: only workspaces with their own OpenAI integration get agent replies");
        const runner = new TurnRunner(
          { db, leads: leads.call, models, tools: new AgentTools(db, leads.call, voice.call), sender, logger },
          { maxAttempts: config.AGENT_MAX_ATTEMPTS, retryBaseMs: config.AGENT_RETRY_BASE_MS, quietMs: config.AGENT_QUIET_MS },
        );
        const turnQueue = new TurnQueue(db, owner, { globalBound: config.AGENT_GLOBAL_CONCURRENCY, leaseMs: config.AGENT_LEASE_MS, quietMs: config.AGENT_QUIET_MS });
        const worker = new TurnWorker(pool, turnQueue, runner, { concurrency: config.AGENT_REPLICA_CONCURRENCY, tickMs: 5000, renewEveryMs: Math.max(500, Math.floor(config.AGENT_LEASE_MS / 3)) }, logger);
        const pacer = new PendingSender(pool, db, sender, owner, { senderRate: config.WHATSAPP_SENDER_RATE, sliceMs: 1000, holdMs: 30_000, tickMs: 5000, retryMs: 5000 }, logger);
        const preparer = new BroadcastPreparer(pool, db, leads.call, queue, owner, 30_000, logger);
        background({
          start: () => {
            worker.start();
            pacer.start();
            preparer.start();
          },
          stop: async () => {
            await Promise.all([worker.stop(), pacer.stop(), preparer.stop()]);
            leads.close();
            voice.close();
          },
        });
        grpc.add(whatsappV1.WhatsAppServiceService, "parley.whatsapp.v1.WhatsAppService", {
          ...optOutProjectionRpc(db),
          ...senderAwareIntegrationRpcs(integrations, senders),
          ...verifyTwilioRpc(integrations),
          ...webhookRpcs(integrations, senders),
          ...conversationRpcs(conversations),
          ...messagingRpcs(outbound, templates, broadcasts),
        });
      },
    },
    env,
  );
}
