-- Where a meeting was booked: Parley's built-in calendar, or the tenant's Cal.com (its booking uid kept).
ALTER TABLE "appointments" ADD COLUMN "calendar" TEXT NOT NULL DEFAULT 'builtin';
ALTER TABLE "appointments" ADD COLUMN "external_id" TEXT;
