-- The workspace's WhatsApp templates, as last read from its provider. One may be the default: the
-- template sent in place of free text the provider refused as outside the 24-hour window.
create table templates (
  id text primary key,
  workspace_id text not null,
  provider text not null,
  provider_template_id text not null,
  name text not null,
  language text not null,
  category text not null,
  status text not null,
  body text not null,
  variable_count integer not null,
  is_default boolean not null default false,
  synced_at timestamptz(3) not null,
  created_at timestamptz(3) not null default now(),
  unique (workspace_id, provider, name, language)
);
create unique index templates_one_default_idx on templates (workspace_id) where is_default;

-- A template to a set of leads, paced per sender number.
-- Its leads are enumerated in the background, a page at a time under a lease, from `cursor`.
create table broadcasts (
  id text primary key,
  workspace_id text not null,
  template jsonb not null,
  rate_per_second integer not null,
  -- preparing → sending → completed
  status text not null,
  lead_ids text[] not null default '{}',
  lead_filter jsonb,
  cursor text,
  lease_owner text,
  lease_until timestamptz(3),
  total integer not null default 0,
  skipped_opted_out integer not null default 0,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index broadcasts_workspace_id_idx on broadcasts (workspace_id, id);

-- Outbound messages waiting for the pacer (broadcasts, follow-ups, window fallbacks).
alter table messages add column broadcast_id text;
alter table messages add column not_before timestamptz(3);
-- Set on the template sent in place of a refused free-text message: at most one each.
alter table messages add column fallback_for text unique;
-- Who took a pending message to send it, until when (a replica that dies lets it go).
alter table messages add column queued_by text;
alter table messages add column queued_until timestamptz(3);
create index messages_pending_idx on messages (created_at) where status = 'pending' and turn_id is null;
create unique index messages_broadcast_id_lead_id_idx on messages (broadcast_id, lead_id) where broadcast_id is not null;
create index messages_broadcast_id_status_idx on messages (broadcast_id, status) where broadcast_id is not null;

-- Pacing: a sender's next free instant, advanced by whichever replica sends for it.
alter table sender_numbers add column next_send_at timestamptz(3);

-- Voice → WhatsApp follow-ups already sent: once per lead per rule.
create table follow_ups (
  workspace_id text not null,
  lead_id text not null,
  rule text not null,
  call_id text not null,
  message_id text not null,
  created_at timestamptz(3) not null default now(),
  primary key (workspace_id, lead_id, rule)
);
