import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "@parley/logger";

export interface Bus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  prefix: string;
  close(): Promise<void>;
}

export interface ConnectBusOptions {
  url: string;
  name: string;
  prefix: string;
  logger: Logger;
}

/**
 * Connects for the life of the process: reconnects forever (a NATS restart is an outage to ride
 * out, not a reason to exit), and logs every status change so an operator sees it.
 */
export async function connectBus({ url, name, prefix, logger }: ConnectBusOptions): Promise<Bus> {
  const nc = await connect({
    servers: url.split(","),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: false,
  });
  logger.info({ server: nc.getServer() }, "connected to NATS");
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect" || status.type === "error") logger.warn({ status: status.type }, "NATS connection lost; reconnecting");
      else if (status.type === "reconnect") logger.info({ server: status.server }, "NATS reconnected");
    }
  })().catch((err: unknown) => logger.warn({ err }, "NATS status stream ended"));
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  return {
    nc,
    js,
    jsm,
    prefix,
    close: async () => {
      if (!nc.isClosed()) await nc.drain();
    },
  };
}
