-- The workspace's own OpenAI key, AES-256-GCM sealed (see @parley/crypto); only this service opens its copy.
CREATE TABLE "integrations" (
    "workspace_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sealed" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "fields" TEXT[] NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    PRIMARY KEY ("workspace_id", "kind")
);
CREATE INDEX "integrations_key_id_idx" ON "integrations" ("key_id");
