-- What placed a call automatically (e.g. the lead_created event id): a redelivered trigger finds
-- its call instead of dialing the lead twice.
ALTER TABLE "calls" ADD COLUMN "trigger_id" TEXT;
CREATE UNIQUE INDEX "calls_trigger_id_key" ON "calls" ("trigger_id");
