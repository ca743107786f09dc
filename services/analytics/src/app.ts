import { fileURLToPath } from "node:url";
import { z } from "zod";
import { env as envTypes } from "@parley/config";
import { createPrisma } from "@parley/db";
import { createClient } from "@parley/grpc";
import { encryptionKeysEnv, integrationRpcs, IntegrationStore } from "@parley/integrations";
import { runService, type RunningService } from "@parley/service";
import { analyticsV1, leadsV1, voiceV1 } from "@parley/proto";
import { ValidationError } from "@parley/errors";
import { PrismaClient } from "./generated/prisma/client.ts";
import { leadStatsConsumer } from "./events/lead-stats";
import { InsightAnalyzer } from "./insights/analyzer";
import { callEndedConsumer } from "./insights/call-ended-consumer";
import { Extractors } from "./insights/extractor";
import { OpenAiModels } from "@parley/integrations/openai";
import { DEFAULT_PRICES, priceTable } from "./insights/pricing";
import { insightRpcs } from "./insights/rpc";
import { summaryRpcs } from "./insights/summary";
import { InsightWorker } from "./insights/worker";

export const migrationsDir = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const analyticsEnv = {
  PARLEY_ENCRYPTION_KEYS: encryptionKeysEnv,
  LEADS_GRPC_ADDR: envTypes.grpcAddress("127.0.0.1:50051"),
  VOICE_GRPC_ADDR: envTypes.grpcAddress("127.0.0.1:50052"),
  GRPC_DEADLINE_MS: envTypes.int(5000, 50),
  /** The operator's key, for workspaces without their own OpenAI integration. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: envTypes.url("https://api.openai.com/v1"),
  ANALYSIS_MODEL: z.string().min(1).default("gpt-4o-mini"),
  ANALYSIS_TIMEOUT_MS: envTypes.int(30_000, 100),
  /** The SDK's own retries of 429/5xx for one request. */
  ANALYSIS_MAX_RETRIES: envTypes.int(3, 0),
  /** Concurrent LLM requests per replica: protects the account's rate limit. */
  ANALYSIS_CONCURRENCY: envTypes.int(4, 1),
  /** Attempts per call when the LLM is unavailable (after the SDK's retries). */
  ANALYSIS_MAX_ATTEMPTS: envTypes.int(5, 1),
  /** JSON: { "<model>": { "input": <USD per 1M tokens>, "output": … } }. */
  ANALYSIS_PRICES: z
    .string()
    .default(JSON.stringify(DEFAULT_PRICES))
    .transform((text, ctx) => {
      try {
        return priceTable.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: "custom", message: 'a JSON object such as {"gpt-4o-mini":{"input":0.15,"output":0.6}}' });
        return z.NEVER;
      }
    }),
};

export function startAnalyticsService(env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  return runService(
    {
      name: "analytics",
      migrationsDir,
      env: analyticsEnv,
      createDb: (url, max) => createPrisma(PrismaClient, url, { max }),
      register({ db, pool, grpc, consume, background, config, logger }) {
        consume(leadStatsConsumer);
        consume(callEndedConsumer);
        const options = { deadlineMs: config.GRPC_DEADLINE_MS };
        const voice = createClient(voiceV1.VoiceServiceService, "parley.voice.v1.VoiceService", config.VOICE_GRPC_ADDR, options);
        const leads = createClient(leadsV1.LeadsServiceService, "parley.leads.v1.LeadsService", config.LEADS_GRPC_ADDR, options);
        const integrations = new IntegrationStore(db, config.PARLEY_ENCRYPTION_KEYS, ["openai"]);
        const extractors = new Extractors(
          new OpenAiModels(integrations, {
          apiKey: config.OPENAI_API_KEY,
          baseURL: config.OPENAI_BASE_URL,
          model: config.ANALYSIS_MODEL,
          timeoutMs: config.ANALYSIS_TIMEOUT_MS,
          maxRetries: config.ANALYSIS_MAX_RETRIES,
          }),
        );
        if (!config.OPENAI_API_KEY) logger.warn("OPENAI_API_KEY is not set: only workspaces with their own OpenAI integration get call insights");
        const analyzer = new InsightAnalyzer({
          db,
          voice: voice.call,
          leads: leads.call,
          extractors,
          prices: config.ANALYSIS_PRICES,
          maxAttempts: config.ANALYSIS_MAX_ATTEMPTS,
          retryDelaysMs: [5_000, 30_000, 120_000, 600_000],
          logger,
        });
        const worker = new InsightWorker(db, pool, analyzer.analyze, { concurrency: config.ANALYSIS_CONCURRENCY, pollIntervalMs: 1000, leaseMs: config.ANALYSIS_TIMEOUT_MS * 4 }, logger);
        background({
          start: () => worker.start(),
          stop: async () => {
            await worker.stop();
            voice.close();
            leads.close();
          },
        });
        grpc.add(analyticsV1.AnalyticsServiceService, "parley.analytics.v1.AnalyticsService", {
          async getLeadStats(req) {
            if (!req.workspaceId) throw new ValidationError("workspace_id is required", [{ path: "workspace_id", message: "required" }]);
            const rows = await db.leadStat.findMany({ where: { workspaceId: req.workspaceId } });
            const bySource = Object.fromEntries(rows.map((r) => [r.source, Number(r.leadsCreated)]));
            return { leadsCreated: rows.reduce((sum, r) => sum + Number(r.leadsCreated), 0), bySource };
          },
          ...insightRpcs(db),
          ...summaryRpcs(db),
          ...integrationRpcs(integrations),
        });
      },
    },
    env,
  );
}
