-- Shared by every service database: the transactional outbox, the consumers' inbox and dead letters.

CREATE TABLE "bus_outbox" (
    "seq" BIGSERIAL PRIMARY KEY,
    "id" TEXT NOT NULL UNIQUE,
    -- Without the deployment's subject prefix: the relay adds it, so rows never depend on where they are published.
    "subject" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "published_at" TIMESTAMPTZ,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT
);
CREATE INDEX "bus_outbox_pending_idx" ON "bus_outbox" ("seq") WHERE "published_at" IS NULL;
CREATE INDEX "bus_outbox_workspace_idx" ON "bus_outbox" ("workspace_id");
CREATE INDEX "bus_outbox_published_idx" ON "bus_outbox" ("published_at") WHERE "published_at" IS NOT NULL;

CREATE TABLE "bus_inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY ("consumer", "event_id")
);
CREATE INDEX "bus_inbox_processed_idx" ON "bus_inbox" ("processed_at");

CREATE TABLE "bus_dead_letters" (
    "id" BIGSERIAL PRIMARY KEY,
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT NOT NULL,
    "deliveries" INTEGER NOT NULL,
    "failed_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "replayed_at" TIMESTAMPTZ,
    "replays" INTEGER NOT NULL DEFAULT 0,
    UNIQUE ("consumer", "event_id")
);
