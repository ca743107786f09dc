create table workspaces (
  id text primary key,
  name text not null,
  timezone text not null,
  profile jsonb not null default '{}',
  settings jsonb not null default '{}',
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);

create table members (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  email text not null,
  name text not null,
  role text not null,
  created_at timestamptz(3) not null default now(),
  unique (workspace_id, email)
);

create table leads (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  phone text not null,
  name text,
  email text,
  business_name text,
  timezone text,
  status text not null default 'new',
  tags text[] not null default '{}',
  metadata jsonb not null default '{}',
  form_responses jsonb not null default '{}',
  source text not null,
  opted_out_voice boolean not null default false,
  opted_out_whatsapp boolean not null default false,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  unique (workspace_id, phone)
);
create index leads_workspace_id_status_idx on leads (workspace_id, status);
-- Cursor pages walk (workspace_id, id desc); ids sort by creation time.
create index leads_workspace_id_id_idx on leads (workspace_id, id desc);
create index leads_tags_idx on leads using gin (tags);

create table opt_outs (
  id text primary key,
  workspace_id text not null,
  phone text not null,
  channel text not null,
  reason text not null,
  source text not null,
  lead_id text,
  created_at timestamptz(3) not null default now()
);
create index opt_outs_workspace_id_phone_idx on opt_outs (workspace_id, phone);

create table timeline_entries (
  id text primary key,
  workspace_id text not null,
  lead_id text not null references leads(id) on delete cascade,
  kind text not null,
  summary text not null,
  data jsonb not null default '{}',
  occurred_at timestamptz(3) not null
);
create index timeline_entries_lead_id_occurred_at_idx on timeline_entries (lead_id, occurred_at);
