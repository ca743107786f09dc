import pg from "pg";
import { z } from "zod";
import { commonEnv, ConfigError, env as envTypes, loadConfig } from "@parley/config";
import { createLogger, type Logger } from "@parley/logger";
import { initMetrics } from "@parley/metrics";
import { ensureDatabase, migrate, withDatabase } from "@parley/db";
import { GrpcServer } from "@parley/grpc";
import { shutdownTelemetry } from "@parley/telemetry";
import {
  busMigrations,
  connectBus,
  ensureStreams,
  EventConsumer,
  OutboxRelay,
  type Bus,
  type EventConsumerOptions,
  type SqlTx,
  type TxRunner,
} from "@parley/bus";
import { startOpsServer, type OpsServer } from "./ops-server";
import { lifecycleCheck } from "./readiness";

/** A Prisma client as far as the runtime cares: transactions with raw SQL, and disconnect. */
export interface ServiceDb {
  $transaction<R>(fn: (tx: SqlTx) => Promise<R>): Promise<R>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $disconnect(): Promise<void>;
}

export const serviceEnv = {
  ...commonEnv,
  HTTP_HOST: z.string().default("127.0.0.1"),
  GRPC_HOST: z.string().default("0.0.0.0"),
  DB_POOL_SIZE: envTypes.int(10, 1),
};

export interface ServiceContext<DB, C> {
  name: string;
  config: C;
  logger: Logger;
  db: DB;
  pool: pg.Pool;
  bus: Bus;
  prefix: string;
  grpc: GrpcServer;
  tx: TxRunner;
  /** Registers a durable consumer; it starts once the service is migrated and stops first on shutdown. */
  consume(options: Omit<EventConsumerOptions, "js" | "jsm" | "prefix" | "tx" | "logger">): void;
  /** Background work (pollers, timers): started when the service is ready, stopped with the intake. */
  background(task: { start(): void; stop(): Promise<void> }): void;
}

const baseSchema = (name: string) =>
  z.object({
    ...serviceEnv,
    DATABASE_URL: envTypes.url(withDatabase("postgres://postgres@127.0.0.1:5432/postgres", `parley_${name}`)),
  });
export type BaseConfig = z.infer<ReturnType<typeof baseSchema>>;

export interface ServiceSpec<DB extends ServiceDb, S extends z.ZodRawShape> {
  name: string;
  migrationsDir: string;
  /** Extra env variables of this service, parsed together with the common ones. */
  env?: S;
  createDb(url: string, poolSize: number): DB;
  register(ctx: ServiceContext<DB, BaseConfig & z.infer<z.ZodObject<S>>>): void | Promise<void>;
}

/** Common and service-specific variables in one pass, so a bad start names every bad variable at once. */
function loadServiceConfig<S extends z.ZodRawShape>(name: string, extra: S | undefined, env: NodeJS.ProcessEnv) {
  const issues: ConfigError["issues"] = [];
  const parse = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const base = parse(() => loadConfig(baseSchema(name), env));
  const own = parse(() => loadConfig(z.object(extra ?? ({} as S)), env));
  if (!base || !own || issues.length) throw new ConfigError(issues);
  return { ...base, ...(own as z.infer<z.ZodObject<S>>) };
}

export interface RunningService {
  name: string;
  grpcAddress: string;
  httpUrl: string;
  stop(): Promise<void>;
}

/**
 * The one start-up and shutdown sequence of every gRPC service: config → database (created,
 * migrated) → NATS (streams) → outbox relay → gRPC + consumers → ready. Shutdown runs in the
 * house order: stop intake → drain in-flight work → flush the outbox → close NATS → close the
 * database → flush telemetry.
 */
export async function runService<DB extends ServiceDb, S extends z.ZodRawShape>(
  spec: ServiceSpec<DB, S>,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<RunningService> {
  const config = loadServiceConfig(spec.name, spec.env, processEnv);
  const logger = createLogger({ service: spec.name, level: config.LOG_LEVEL });
  initMetrics(spec.name);

  let ready = false;
  await ensureDatabase(config.DATABASE_URL);
  const applied = await migrate(config.DATABASE_URL, [busMigrations, { namespace: spec.name, dir: spec.migrationsDir }]);
  if (applied.length) logger.info({ migrations: applied }, "applied migrations");

  const db = spec.createDb(config.DATABASE_URL, config.DB_POOL_SIZE);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4 });
  // An idle connection dropped by the server (restart, failover) is replaced on next use, not fatal.
  pool.on("error", (err) => logger.warn({ err }, "idle database connection lost"));
  const bus = await connectBus({ url: config.NATS_URL, name: `parley-${spec.name}`, prefix: config.PARLEY_SUBJECT_PREFIX, logger });
  await ensureStreams(bus.jsm, config.PARLEY_SUBJECT_PREFIX);
  const relay = new OutboxRelay({ pool, js: bus.js, logger, prefix: config.PARLEY_SUBJECT_PREFIX });
  relay.start();

  const tx: TxRunner = { transaction: (fn) => db.$transaction(fn) };
  const grpc = new GrpcServer({ logger });
  const consumers: EventConsumer[] = [];
  const tasks: { start(): void; stop(): Promise<void> }[] = [];
  await spec.register({
    name: spec.name,
    config,
    logger,
    db,
    pool,
    bus,
    prefix: config.PARLEY_SUBJECT_PREFIX,
    grpc,
    tx,
    consume: (options) =>
      consumers.push(new EventConsumer({ ...options, js: bus.js, jsm: bus.jsm, prefix: config.PARLEY_SUBJECT_PREFIX, tx, logger })),
    background: (task) => tasks.push(task),
  });
  for (const consumer of consumers) await consumer.start();

  const grpcPort = await grpc.listen(config.GRPC_PORT, config.GRPC_HOST);
  let ops: OpsServer;
  try {
    ops = await startOpsServer(config.HTTP_PORT, config.HTTP_HOST, {
      ready: lifecycleCheck(() => ready),
      database: async () => {
        await db.$queryRawUnsafe("select 1");
      },
      nats: async () => {
        if (bus.nc.isClosed()) throw new Error("connection closed");
        await bus.nc.flush();
      },
    });
  } catch (err) {
    await grpc.shutdown(0);
    throw err;
  }
  grpc.setServing(true);
  for (const task of tasks) task.start();
  ready = true;
  logger.info({ grpc_port: grpcPort, ops: ops.url }, `${spec.name} ready`);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      ready = false;
      await grpc.shutdown(config.SHUTDOWN_GRACE_MS);
      await Promise.all([...tasks.map((t) => t.stop()), ...consumers.map((c) => c.stop())]);
      await relay.flush().catch((err: unknown) => logger.warn({ err }, "outbox not fully flushed; the next start publishes the rest"));
      await relay.stop();
      await bus.close();
      await db.$disconnect();
      await pool.end();
      await ops.close();
      await shutdownTelemetry();
      logger.info(`${spec.name} stopped`);
    })());

  return { name: spec.name, grpcAddress: `127.0.0.1:${grpcPort}`, httpUrl: ops.url, stop };
}
