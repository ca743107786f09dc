import { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses the environment once with a zod object schema whose keys are the variable names.
 * Fails fast with every bad variable named, never echoing its value (it may be a secret).
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === "" ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "?"), message: issue.message })),
    );
  }
  return result.data;
}

/** Reusable field types for env schemas. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (fallback?: string) => (fallback === undefined ? z.url() : z.url().default(fallback)),
  bool: (fallback: boolean) =>
    z
      .enum(["true", "false", "1", "0", "yes", "no"])
      .default(fallback ? "true" : "false")
      .transform((v) => v === "true" || v === "1" || v === "yes"),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  /** Where a gRPC service answers: host:port. */
  grpcAddress: (fallback: string) => z.string().regex(/^[^\s:]+:\d+$/, "host:port").default(fallback),
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};

/** Variables every Parley service reads. */
export const commonEnv = {
  LOG_LEVEL: env.logLevel(),
  DATABASE_URL: env.url("postgres://postgres@127.0.0.1:5432/postgres"),
  NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  PARLEY_SUBJECT_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]*$/, "lowercase letters, digits and _ only")
    .default(""),
  HTTP_PORT: env.port(0),
  GRPC_PORT: env.port(0),
  SHUTDOWN_GRACE_MS: env.int(10_000),
};
