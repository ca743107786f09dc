import { fileURLToPath } from "node:url";
import { z } from "zod";
import { env as envTypes } from "@parley/config";
import { createPrisma } from "@parley/db";
import { createClient } from "@parley/grpc";
import { encryptionKeysEnv, integrationRpcs, IntegrationStore } from "@parley/integrations";
import { runService, type RunningService } from "@parley/service";
import { leadsV1, voiceV1 } from "@parley/proto";
import { optOutConsumer, optOutProjectionRpc } from "@parley/consent-projection";
import { PrismaClient } from "./generated/prisma/client.ts";
import { AssistantsDomain } from "./assistants/assistants";
import { assistantRpcs } from "./assistants/rpc";
import { CallsDomain } from "./domain/calls";
import { autoCallConsumer } from "./domain/auto-call";
import { CallReconciler } from "./domain/reconciler";
import { callRpcs } from "./grpc/calls";
import { campaignRpcs } from "./grpc/campaigns";
import { CampaignAttempts } from "./dialer/attempts";
import { CampaignsDomain } from "./dialer/campaigns";
import { Dispatcher } from "./dialer/dispatcher";
import { campaignImportConsumer } from "./dialer/import-consumer";
import { LeaseKeeper } from "./dialer/lease-keeper";
import { WorkspaceDirectory } from "./dialer/workspaces";
import { Calendars } from "./tools/calendars";
import { CallTools } from "./tools/tools";
import { inboundRpcs } from "./inbound/phone-numbers";
import { REAL_BASE_URLS } from "./providers/factory";
import { IntegrationProviderResolver, SANDBOX_WEBHOOK_SECRET } from "./providers/resolver";
import { webhookConsumer } from "./webhooks/consumer";
import { verifyWebhookRpc } from "./webhooks/verify-rpc";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const VOICE_INTEGRATIONS = ["vapi", "bolna", "retell", "calcom"] as const;

const voiceEnv = {
  PARLEY_ENCRYPTION_KEYS: encryptionKeysEnv,
  LEADS_GRPC_ADDR: envTypes.grpcAddress("127.0.0.1:50051"),
  GRPC_DEADLINE_MS: envTypes.int(5000, 50),
  VAPI_BASE_URL: envTypes.url(REAL_BASE_URLS.vapi),
  BOLNA_BASE_URL: envTypes.url(REAL_BASE_URLS.bolna),
  RETELL_BASE_URL: envTypes.url(REAL_BASE_URLS.retell),
  CALCOM_BASE_URL: envTypes.url("https://api.cal.com"),
  RETELL_SIP_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i, "a host name").default("5t4n6j0wnrl.sip.livekit.cloud"),
  VOICE_PROVIDER_TIMEOUT_MS: envTypes.int(10_000, 100),
  PARLEY_PUBLIC_URL: envTypes.url("http://127.0.0.1:8080"),
  VOICE_SANDBOX: envTypes.bool(false),
  VOICE_SANDBOX_PROVIDER: z.enum(["vapi", "bolna", "retell"]).default("vapi"),
  VOICE_GLOBAL_CAP: envTypes.int(8, 1),
  VOICE_RECONCILE_INTERVAL_MS: envTypes.int(30_000, 10),
  VOICE_STUCK_AFTER_MS: envTypes.int(600_000, 10),
  VOICE_GIVE_UP_AFTER_MS: envTypes.int(3_600_000, 10),
  VOICE_WEBHOOK_CONCURRENCY: envTypes.int(8, 1),
  VOICE_LEASE_TTL_MS: envTypes.int(60_000, 30),
  VOICE_DIAL_GRACE_MS: envTypes.int(120_000, 10),
  VOICE_DISPATCH_TICK_MS: envTypes.int(5_000, 10),
  VOICE_DIAL_CONCURRENCY: envTypes.int(16, 1),
  VOICE_CAPACITY_BACKOFF_MS: envTypes.int(2_000, 0),
  VOICE_CONSENT_RETRY_MS: envTypes.int(30_000, 0),
  VOICE_AUTO_PAUSE_WINDOW: envTypes.int(20, 1),
  VOICE_AUTO_PAUSE_RATIO: z.coerce.number().gt(0).max(1).default(0.8),
};

export interface VoiceServiceOptions {
  /** The dialer's clock (calling hours, retries, leases): tests move it by hand. */
  now?: () => Date;
}

export function startVoiceService(env: NodeJS.ProcessEnv = process.env, options: VoiceServiceOptions = {}): Promise<RunningService> {
  const now = options.now ?? (() => new Date());
  return runService(
    {
      name: "voice",
      migrationsDir,
      env: voiceEnv,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, pool, grpc, consume, background, config, logger }) {
        consume(optOutConsumer("voice"));
        const integrations = new IntegrationStore(db, config.PARLEY_ENCRYPTION_KEYS, VOICE_INTEGRATIONS);
        const leads = createClient(leadsV1.LeadsServiceService, "parley.leads.v1.LeadsService", config.LEADS_GRPC_ADDR, { deadlineMs: config.GRPC_DEADLINE_MS });
        const providers = new IntegrationProviderResolver(
          integrations,
          { baseUrls: { vapi: config.VAPI_BASE_URL, bolna: config.BOLNA_BASE_URL, retell: config.RETELL_BASE_URL }, timeoutMs: config.VOICE_PROVIDER_TIMEOUT_MS },
          { enabled: config.VOICE_SANDBOX, provider: config.VOICE_SANDBOX_PROVIDER },
        );
        const assistants = new AssistantsDomain(db, providers, config.PARLEY_PUBLIC_URL, logger);
        const workspaces = new WorkspaceDirectory(leads.call);
        const campaigns = new CampaignsDomain(db, leads.call, workspaces, assistants, providers, now);
        const attempts = new CampaignAttempts(campaigns, { window: config.VOICE_AUTO_PAUSE_WINDOW, failureRatio: config.VOICE_AUTO_PAUSE_RATIO }, now);
        const calls = new CallsDomain(
          db,
          leads.call,
          providers,
          assistants,
          { globalCap: config.VOICE_GLOBAL_CAP, publicUrl: config.PARLEY_PUBLIC_URL, leaseTtlMs: config.VOICE_LEASE_TTL_MS, capacityBackoffMs: config.VOICE_CAPACITY_BACKOFF_MS, now },
          attempts,
        );
        const calendars = new Calendars(db, integrations, { calcomBaseUrl: config.CALCOM_BASE_URL, timeoutMs: config.VOICE_PROVIDER_TIMEOUT_MS });
        const tools = new CallTools(db, leads.call, calendars, logger);
        consume(webhookConsumer(calls, config.VOICE_WEBHOOK_CONCURRENCY));
        consume(autoCallConsumer(calls, leads.call, logger));
        consume(campaignImportConsumer(campaigns, logger));
        const reconciler = new CallReconciler(db, calls, providers, { intervalMs: config.VOICE_RECONCILE_INTERVAL_MS, stuckAfterMs: config.VOICE_STUCK_AFTER_MS, giveUpAfterMs: config.VOICE_GIVE_UP_AFTER_MS }, logger);
        const dispatcher = new Dispatcher(
          { db, pool, calls, attempts, assistants, providers, workspaces, now, logger },
          {
            globalCap: config.VOICE_GLOBAL_CAP,
            leaseTtlMs: config.VOICE_LEASE_TTL_MS,
            tickMs: config.VOICE_DISPATCH_TICK_MS,
            dialConcurrency: config.VOICE_DIAL_CONCURRENCY,
            capacityBackoffMs: config.VOICE_CAPACITY_BACKOFF_MS,
            consentRetryMs: config.VOICE_CONSENT_RETRY_MS,
          },
        );
        const keeper = new LeaseKeeper(db, calls, campaigns, { leaseTtlMs: config.VOICE_LEASE_TTL_MS, dialGraceMs: config.VOICE_DIAL_GRACE_MS, globalCap: config.VOICE_GLOBAL_CAP }, now, logger);
        background({
          start: () => {
            reconciler.start();
            keeper.start();
            dispatcher.start();
          },
          stop: async () => {
            await dispatcher.stop();
            await Promise.all([reconciler.stop(), keeper.stop()]);
            leads.close();
          },
        });
        grpc.add(voiceV1.VoiceServiceService, "parley.voice.v1.VoiceService", {
          ...optOutProjectionRpc(db),
          ...integrationRpcs(integrations),
          ...verifyWebhookRpc(integrations, { enabled: config.VOICE_SANDBOX, webhookSecret: SANDBOX_WEBHOOK_SECRET, retellApiKey: "sandbox" }),
          ...callRpcs(calls),
          handleToolCalls: (req) => tools.handle(req),
          ...inboundRpcs({ db, leads: leads.call, assistants, calls, providers, retellSipDomain: config.RETELL_SIP_DOMAIN, logger }),
          ...assistantRpcs(assistants),
          ...campaignRpcs(campaigns),
        });
      },
    },
    env,
  );
}
