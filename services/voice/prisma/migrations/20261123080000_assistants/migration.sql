-- The assistants directory: each assistant lives on its provider; Parley keeps its id and every
-- version of its configuration. Archived assistants are kept for the calls that used them.
CREATE TABLE "assistants" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workspace_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "provider_assistant_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "template" TEXT,
    "current_version" INTEGER NOT NULL DEFAULT 1,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "archived_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "assistants_workspace_id_id_idx" ON "assistants" ("workspace_id", "id");
-- One live directory entry per provider assistant in a workspace.
CREATE UNIQUE INDEX "assistants_live_provider_assistant_key" ON "assistants" ("workspace_id", "provider", "provider_assistant_id") WHERE "archived_at" IS NULL;
-- At most one default assistant per workspace.
CREATE UNIQUE INDEX "assistants_default_key" ON "assistants" ("workspace_id") WHERE "is_default" AND "archived_at" IS NULL;

CREATE TABLE "assistant_versions" (
    "assistant_id" TEXT NOT NULL REFERENCES "assistants" ("id") ON DELETE CASCADE,
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    PRIMARY KEY ("assistant_id", "version")
);

-- A call records the provider's assistant it dialled and, when it came from the directory, which version.
ALTER TABLE "calls" ADD COLUMN "provider_assistant_id" TEXT;
ALTER TABLE "calls" ADD COLUMN "assistant_version" INTEGER;
UPDATE "calls" SET "provider_assistant_id" = "assistant_id";
