-- Campaigns and their call queue, and concurrency slots as leases with fencing tokens.

CREATE TABLE "campaigns" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workspace_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "assistant_id" TEXT NOT NULL,
    "schedule" JSONB NOT NULL DEFAULT '{}',
    "max_concurrency" INTEGER,
    "retry_policy" JSONB NOT NULL,
    "paused_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3)
);
CREATE INDEX "campaigns_workspace_id_id_idx" ON "campaigns" ("workspace_id", "id");
CREATE INDEX "campaigns_status_idx" ON "campaigns" ("status");

CREATE TABLE "campaign_leads" (
    "campaign_id" TEXT NOT NULL REFERENCES "campaigns" ("id") ON DELETE CASCADE,
    "lead_id" TEXT NOT NULL,
    "workspace_id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "zones" TEXT[] NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "call_id" TEXT,
    "claimed_at" TIMESTAMPTZ(3),
    "last_outcome" TEXT,
    "final_outcome" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    PRIMARY KEY ("campaign_id", "lead_id")
);
CREATE INDEX "campaign_leads_due_idx" ON "campaign_leads" ("campaign_id", "due_at", "seq") WHERE "state" = 'queued';
CREATE INDEX "campaign_leads_state_idx" ON "campaign_leads" ("campaign_id", "state");
CREATE INDEX "campaign_leads_call_id_idx" ON "campaign_leads" ("call_id");

ALTER TABLE "calls" ADD COLUMN "lease_token" BIGINT;
ALTER TABLE "calls" ADD COLUMN "attempt" INTEGER;
CREATE INDEX "calls_campaign_id_ended_at_idx" ON "calls" ("campaign_id", "ended_at");

-- A pool (a provider account, a workspace or a campaign) has one row per slot, numbered up to its
-- cap. A call holds one row in each pool it counts against, all with the same token.
CREATE SEQUENCE "call_lease_tokens";
CREATE TABLE "call_leases" (
    "pool" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "call_id" TEXT,
    "token" BIGINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3),
    "released_at" TIMESTAMPTZ(3),
    PRIMARY KEY ("pool", "slot")
);
CREATE INDEX "call_leases_call_id_idx" ON "call_leases" ("call_id");

-- Calls live during the upgrade keep their place under the account's cap.
INSERT INTO "call_leases" ("pool", "slot", "call_id", "token", "expires_at")
SELECT 'account:' || "pool", row_number() OVER (PARTITION BY "pool" ORDER BY "acquired_at"), "call_id", nextval('call_lease_tokens'), now() + interval '10 minutes'
FROM "call_slots";
UPDATE "calls" c SET "lease_token" = l."token" FROM "call_leases" l WHERE l."call_id" = c."id";
DROP TABLE "call_slots";

-- Takes one free slot in each pool (numbered up to its cap; a lease that ran out counts as free)
-- for a call under a fencing token, or none: the first full pool is returned and nothing is kept.
-- Rows are locked with SKIP LOCKED, so concurrent takers never wait on each other.
CREATE FUNCTION voice_take_leases(p_call TEXT, p_token BIGINT, p_pools TEXT[], p_caps INT[], p_now TIMESTAMPTZ, p_ttl_ms INT)
RETURNS TABLE (full_pool TEXT, freed_at TIMESTAMPTZ, reclaimed INT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  i INT;
  free RECORD;
  filled BOOLEAN;
BEGIN
  freed_at := NULL;
  reclaimed := 0;
  BEGIN
    FOR i IN 1 .. coalesce(array_length(p_pools, 1), 0) LOOP
      filled := FALSE;
      LOOP
        SELECT l.slot, l.call_id, l.released_at INTO free FROM call_leases l
        WHERE l.pool = p_pools[i] AND l.slot <= p_caps[i] AND (l.call_id IS NULL OR l.expires_at < p_now)
        ORDER BY l.slot LIMIT 1 FOR UPDATE SKIP LOCKED;
        EXIT WHEN FOUND OR filled;
        -- A pool seen for the first time, or whose cap grew, gets its rows; then one more look.
        INSERT INTO call_leases (pool, slot) SELECT p_pools[i], g FROM generate_series(1, p_caps[i]) g ON CONFLICT DO NOTHING;
        filled := TRUE;
      END LOOP;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'call_slots_full', DETAIL = p_pools[i];
      END IF;
      IF free.call_id IS NOT NULL THEN reclaimed := reclaimed + 1; END IF;
      IF i = 1 THEN freed_at := free.released_at; END IF;
      UPDATE call_leases SET call_id = p_call, token = p_token, expires_at = p_now + make_interval(secs => p_ttl_ms / 1000.0), released_at = NULL
      WHERE pool = p_pools[i] AND slot = free.slot;
    END LOOP;
  EXCEPTION WHEN raise_exception THEN
    IF SQLERRM <> 'call_slots_full' THEN RAISE; END IF;
    GET STACKED DIAGNOSTICS full_pool = PG_EXCEPTION_DETAIL;
    freed_at := NULL;
    reclaimed := 0;
  END;
  RETURN NEXT;
END $$;

-- The dispatcher's claim, in one round trip: the running campaign's next due lead (SKIP LOCKED),
-- its slots, and the lead marked as calling. No row when nothing is due (or the campaign no longer
-- runs); `full_pool` when a cap is reached (then nothing changed).
CREATE FUNCTION voice_claim_campaign_lead(p_campaign TEXT, p_call TEXT, p_pools TEXT[], p_caps INT[], p_now TIMESTAMPTZ, p_ttl_ms INT)
RETURNS TABLE (lead_id TEXT, attempts INT, zones TEXT[], due_at TIMESTAMPTZ, token BIGINT, full_pool TEXT, freed_at TIMESTAMPTZ, reclaimed INT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  entry RECORD;
  taken RECORD;
  t BIGINT;
BEGIN
  -- A campaign paused or cancelled since the dispatcher listed it gets no further dial.
  PERFORM 1 FROM campaigns c WHERE c.id = p_campaign AND c.status = 'running';
  IF NOT FOUND THEN RETURN; END IF;
  SELECT q.lead_id, q.attempts, q.zones, q.due_at INTO entry FROM campaign_leads q
  WHERE q.campaign_id = p_campaign AND q.state = 'queued' AND q.due_at <= p_now
  ORDER BY q.due_at, q.seq LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN RETURN; END IF;
  t := nextval('call_lease_tokens');
  SELECT * INTO taken FROM voice_take_leases(p_call, t, p_pools, p_caps, p_now, p_ttl_ms);
  IF taken.full_pool IS NOT NULL THEN
    RETURN QUERY SELECT NULL::TEXT, NULL::INT, NULL::TEXT[], NULL::TIMESTAMPTZ, NULL::BIGINT, taken.full_pool, NULL::TIMESTAMPTZ, 0;
    RETURN;
  END IF;
  UPDATE campaign_leads SET state = 'calling', call_id = p_call, claimed_at = p_now, attempts = attempts + 1, updated_at = p_now
  WHERE campaign_id = p_campaign AND lead_id = entry.lead_id;
  RETURN QUERY SELECT entry.lead_id, entry.attempts, entry.zones, entry.due_at, t, NULL::TEXT, taken.freed_at, taken.reclaimed;
END $$;
