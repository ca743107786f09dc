create table lead_stats (
  workspace_id text not null,
  source text not null,
  leads_created bigint not null,
  updated_at timestamptz(3) not null,
  primary key (workspace_id, source)
);
