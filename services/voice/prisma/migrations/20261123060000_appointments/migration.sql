-- Meetings booked by the assistant during a call (built-in calendar), and what it learnt.
CREATE TABLE "appointments" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workspace_id" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "call_id" TEXT,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "notes" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "appointments_workspace_id_starts_at_idx" ON "appointments" ("workspace_id", "starts_at");

ALTER TABLE "calls" ADD COLUMN "qualification" JSONB NOT NULL DEFAULT '{}';
