-- Every provider webhook that passed verification, as consumed from the WEBHOOKS stream.
CREATE TABLE "webhook_logs" (
    "id" BIGSERIAL PRIMARY KEY,
    "event_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "call_id" TEXT,
    "provider_call_id" TEXT,
    -- applied, ignored (a type Parley does not act on) or unknown_call.
    "outcome" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "webhook_logs_call_id_idx" ON "webhook_logs" ("call_id");
CREATE INDEX "webhook_logs_workspace_id_received_at_idx" ON "webhook_logs" ("workspace_id", "received_at");
