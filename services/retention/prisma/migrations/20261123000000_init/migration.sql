create table workspace_policies (
  workspace_id text primary key,
  name text not null,
  retention_days integer not null,
  changed_at timestamptz(3) not null
);
