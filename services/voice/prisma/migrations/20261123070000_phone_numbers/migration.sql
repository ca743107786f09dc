-- The tenants' numbers for inbound calls: which workspace and assistant answer a called number.
CREATE TABLE "phone_numbers" (
    "number" TEXT NOT NULL PRIMARY KEY,
    "workspace_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "assistant_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "phone_numbers_workspace_id_idx" ON "phone_numbers" ("workspace_id");
