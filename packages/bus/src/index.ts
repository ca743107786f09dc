import { join } from "node:path";
import type { MigrationSource } from "@parley/db";

export * from "./types";
export * from "./subjects";
export { connectBus, type Bus, type ConnectBusOptions } from "./connection";
export { ensureStreams, deleteStreams, streamConfig } from "./streams";
export { emitEvent, emitEvents, enqueueEvent, OutboxRelay, OutboxTimeoutError, OUTBOX_CHANNEL, type EmittedEvent, type OutboxEvent, type OutboxRelayOptions } from "./outbox";
export { pgTxRunner } from "./pg-tx";
export { Wakeup } from "./wakeup";
export { WakeupLoop, type WakeupLoopOptions } from "./wakeup-loop";
export { EventConsumer, type EventConsumerOptions } from "./consumer";
export { listDeadLetters, replayDeadLetter, recordDeadLetter, DeadLetterNotFoundError, type DeadLetter, type DeadLetterFilter } from "./dead-letters";

/** The bus tables, migrated into every service database before the service's own migrations. */
export const busMigrations: MigrationSource = { namespace: "bus", dir: join(import.meta.dirname, "../migrations") };
