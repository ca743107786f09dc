import { z } from "zod";
import { commonEnv, env, loadConfig } from "@parley/config";
import { withDatabase } from "@parley/db";

export const gatewayEnv = z.object({
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  NATS_URL: commonEnv.NATS_URL,
  PARLEY_SUBJECT_PREFIX: commonEnv.PARLEY_SUBJECT_PREFIX,
  SHUTDOWN_GRACE_MS: commonEnv.SHUTDOWN_GRACE_MS,
  DATABASE_URL: env.url(withDatabase("postgres://postgres@127.0.0.1:5432/postgres", "parley_gateway")),
  GATEWAY_PORT: env.port(8080),
  HTTP_HOST: z.string().default("127.0.0.1"),
  PARLEY_ADMIN_TOKEN: z.string().min(16, "at least 16 characters"),
  /** Signs recording links; unset, a random key per process (links then die with a restart and differ per replica). */
  RECORDING_LINK_SECRET: z.string().min(32, "at least 32 characters").optional(),
  RECORDING_LINK_TTL_SECONDS: env.int(300, 1),
  LEADS_GRPC_ADDR: env.grpcAddress("127.0.0.1:50051"),
  VOICE_GRPC_ADDR: env.grpcAddress("127.0.0.1:50052"),
  WHATSAPP_GRPC_ADDR: env.grpcAddress("127.0.0.1:50053"),
  ANALYTICS_GRPC_ADDR: env.grpcAddress("127.0.0.1:50054"),
  GRPC_DEADLINE_MS: env.int(5000, 50),
  RATE_LIMIT_PER_MINUTE: env.int(600, 1),
  BODY_LIMIT_BYTES: env.int(1_048_576, 1024),
  /** The largest CSV accepted by POST /v1/leads/imports (streamed, so not bound by BODY_LIMIT_BYTES). */
  IMPORT_MAX_BYTES: env.int(52_428_800, 1),
  DB_POOL_SIZE: env.int(10, 1),
  /** The public base URL providers call (Twilio signs the exact URL); else each request's own scheme and host. */
  PARLEY_PUBLIC_URL: env.url().optional(),
  // Meta's verify token for an app-wide webhook URL; a workspace's own URL (?workspace=) uses its integration's.
  META_WEBHOOK_VERIFY_TOKEN: z.string().optional(),
  /** How often a campaign's progress stream (SSE) reads the campaign. */
  CAMPAIGN_EVENTS_INTERVAL_MS: env.int(1000, 50),
  /** Behind a load balancer: trust X-Forwarded-* from it. */
  TRUST_PROXY: env.bool(false),
});

export type GatewayConfig = z.infer<typeof gatewayEnv>;

export function loadGatewayConfig(processEnv: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return loadConfig(gatewayEnv, processEnv);
}
