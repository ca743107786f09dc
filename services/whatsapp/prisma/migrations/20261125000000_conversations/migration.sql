-- Which workspace a business sender belongs to, so an inbound webhook (which names only the number
-- it was sent to) can be routed and verified. Written when twilio / meta_whatsapp credentials are put.
create table sender_numbers (
  provider text not null,
  -- Twilio: the E.164 WhatsApp sender; Meta: the phone_number_id.
  sender_id text not null,
  workspace_id text not null,
  created_at timestamptz(3) not null default now(),
  primary key (provider, sender_id)
);
create index sender_numbers_workspace_id_idx on sender_numbers (workspace_id);

-- One conversation per lead. Its turn columns make it the unit of the agent's work queue: a turn is
-- requested by an inbound message and leased by one replica at a time.
create table conversations (
  id text primary key,
  workspace_id text not null,
  lead_id text not null,
  provider text not null,
  sender_id text not null,
  customer text not null,
  last_inbound_at timestamptz(3),
  window_expires_at timestamptz(3),
  last_message_at timestamptz(3) not null default now(),
  handed_off_at timestamptz(3),
  qualification jsonb not null default '{}',
  -- Set by an inbound message that no turn has read yet; cleared when a turn claims it.
  turn_requested_at timestamptz(3),
  -- A claimed turn not yet finished (possibly by a replica that died: its lease runs out).
  turn_active boolean not null default false,
  turn_owner text,
  turn_lease_until timestamptz(3),
  turn_not_before timestamptz(3),
  created_at timestamptz(3) not null default now(),
  unique (workspace_id, lead_id)
);
create index conversations_turn_queue_idx on conversations (turn_requested_at) where turn_requested_at is not null or turn_active;
create index conversations_workspace_id_customer_idx on conversations (workspace_id, customer);

create table messages (
  id text primary key,
  workspace_id text not null,
  conversation_id text not null references conversations (id) on delete cascade,
  lead_id text not null,
  direction text not null check (direction in ('inbound', 'outbound')),
  provider text not null,
  provider_message_id text,
  text text not null default '',
  template jsonb,
  -- received (inbound); pending → sending → queued → sent → delivered → read, or failed (outbound).
  status text not null,
  status_rank integer not null,
  error_code text,
  error_message text,
  -- lead (inbound), agent, api, broadcast, follow_up.
  origin text not null,
  -- Outbound: the turn that wrote it; inbound: the turn that read it.
  turn_id text,
  send_started_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  unique (provider, provider_message_id)
);
create index messages_conversation_id_created_at_idx on messages (conversation_id, created_at);

-- The agent's turns: generate (the LLM's answer is stored here before anything is sent), send, persist.
create table agent_turns (
  id text primary key,
  workspace_id text not null,
  conversation_id text not null references conversations (id) on delete cascade,
  lead_id text not null,
  -- generating → generated → sending → sent | skipped | failed | unconfirmed
  status text not null,
  -- The turn answers inbound messages received up to this instant.
  inbound_through timestamptz(3) not null,
  llm_attempts integer not null default 0,
  reply_message_id text,
  tool_calls jsonb not null default '[]',
  model text,
  prompt_tokens integer,
  completion_tokens integer,
  generate_ms integer,
  error text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index agent_turns_conversation_id_idx on agent_turns (conversation_id, created_at);

create table webhook_logs (
  event_id text primary key,
  provider text not null,
  workspace_id text not null,
  kind text not null,
  provider_message_id text,
  outcome text not null,
  body jsonb not null,
  created_at timestamptz(3) not null default now()
);
create index webhook_logs_workspace_id_created_at_idx on webhook_logs (workspace_id, created_at);
