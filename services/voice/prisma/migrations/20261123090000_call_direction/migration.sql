-- Inbound calls are kept beside outbound ones: a lead who calls a tenant's number has a history too.
ALTER TABLE "calls" ADD COLUMN "direction" TEXT NOT NULL DEFAULT 'outbound';
