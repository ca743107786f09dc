-- Calls, their event history and the concurrency slots they hold.
CREATE TABLE "calls" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workspace_id" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "campaign_id" TEXT,
    "assistant_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_call_id" TEXT,
    "status" TEXT NOT NULL,
    "ended_reason" TEXT,
    "provider_reason" TEXT,
    "to_number" TEXT NOT NULL,
    "transcript" TEXT,
    "recording_url" TEXT,
    "duration_seconds" INTEGER,
    "cost" DOUBLE PRECISION,
    "error" TEXT,
    "answered_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "last_event_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX "calls_provider_provider_call_id_key" ON "calls" ("provider", "provider_call_id");
CREATE INDEX "calls_workspace_id_id_idx" ON "calls" ("workspace_id", "id");
CREATE INDEX "calls_workspace_id_lead_id_idx" ON "calls" ("workspace_id", "lead_id");
CREATE INDEX "calls_open_idx" ON "calls" ("last_event_at") WHERE "status" <> 'ended';

CREATE TABLE "call_events" (
    "id" BIGSERIAL PRIMARY KEY,
    "call_id" TEXT NOT NULL REFERENCES "calls" ("id") ON DELETE CASCADE,
    "type" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "call_events_call_id_idx" ON "call_events" ("call_id", "id");

-- One row per live call; the cap is enforced by counting rows under an advisory lock per pool.
CREATE TABLE "call_slots" (
    "call_id" TEXT NOT NULL PRIMARY KEY,
    "pool" TEXT NOT NULL,
    "acquired_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "call_slots_pool_idx" ON "call_slots" ("pool");
