-- One insight per ended call: queued by the voice.call_ended consumer, filled by the extraction
-- worker (one LLM request per call; a repair at most), kept with the model's raw answer on failure.
create table call_insights (
  call_id text primary key,
  workspace_id text not null,
  lead_id text not null,
  campaign_id text,
  -- pending, running, succeeded, skipped, failed
  status text not null,
  reason text,
  ended_reason text not null,
  duration_seconds integer not null default 0,
  telephony_cost double precision not null default 0,
  ended_at timestamptz(3),
  summary text,
  sentiment text,
  outcome text,
  interest_level text,
  objections jsonb,
  meeting_time text,
  next_action text,
  language text,
  qualification jsonb,
  provider_analysis jsonb,
  raw_answer text,
  prompt_version text,
  model text,
  prompt_tokens integer not null default 0,
  completion_tokens integer not null default 0,
  llm_requests integer not null default 0,
  llm_cost double precision not null default 0,
  attempts integer not null default 0,
  claimed_at timestamptz(3),
  next_attempt_at timestamptz(3) not null default now(),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index call_insights_due_idx on call_insights (next_attempt_at) where status in ('pending', 'running');
create index call_insights_workspace_idx on call_insights (workspace_id, created_at);

-- Aggregates kept by the consumer and the worker, so summaries never scan calls: one counter per
-- workspace, campaign ('' for none), UTC day and metric (calls, connected, talk_seconds,
-- cost_telephony, cost_llm, meetings_booked, outcome:<o>, sentiment:<s>).
create table call_stats (
  workspace_id text not null,
  campaign_id text not null,
  day date not null,
  metric text not null,
  value double precision not null,
  primary key (workspace_id, campaign_id, day, metric)
);
