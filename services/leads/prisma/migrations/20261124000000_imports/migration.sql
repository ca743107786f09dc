-- CSV imports: the uploaded file (in chunks), the import's progress, and every rejected row.

create table lead_imports (
  id text primary key,
  workspace_id text not null references workspaces(id) on delete cascade,
  -- uploading (chunks arriving; not visible to clients) → queued → running → completed | failed
  status text not null default 'uploading',
  campaign_id text,
  default_country text,
  mapping jsonb not null default '{}',
  chunk_count integer not null default 0,
  byte_count bigint not null default 0,
  row_count integer not null default 0,
  created_count integer not null default 0,
  duplicate_count integer not null default 0,
  invalid_count integer not null default 0,
  -- The last line of the file applied: a resumed import skips up to here, so counts stay exact.
  checkpoint_row integer not null default 0,
  error text,
  -- The claim of one worker; a batch commits only under the token it claimed with.
  lease_token text,
  lease_expires_at timestamptz(3),
  attempts integer not null default 0,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now(),
  started_at timestamptz(3),
  completed_at timestamptz(3)
);
create index lead_imports_workspace_id_idx on lead_imports (workspace_id);
create index lead_imports_claimable_idx on lead_imports (created_at) where status in ('queued', 'running');
create index lead_imports_uploading_idx on lead_imports (updated_at) where status = 'uploading';

-- Deleted once the import is completed or failed: the file is only staged here.
create table lead_import_chunks (
  import_id text not null references lead_imports(id) on delete cascade,
  seq integer not null,
  data bytea not null,
  primary key (import_id, seq)
);

create table lead_import_rejections (
  import_id text not null references lead_imports(id) on delete cascade,
  -- The line in the file (the header is line 1).
  row_number integer not null,
  -- invalid | duplicate
  kind text not null,
  errors jsonb not null default '[]',
  duplicate_of_row integer,
  duplicate_of_lead_id text,
  primary key (import_id, row_number)
);
-- The first invalid rows of an import, for its summary.
create index lead_import_rejections_invalid_idx on lead_import_rejections (import_id, row_number) where kind = 'invalid';
