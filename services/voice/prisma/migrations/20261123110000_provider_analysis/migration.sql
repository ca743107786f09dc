-- The provider's own analysis of a call (Vapi analysis, Retell call_analysis), kept beside Parley's.
ALTER TABLE "calls" ADD COLUMN "provider_analysis" JSONB;
