create table opt_out_projection (
  workspace_id text not null,
  lead_id text not null,
  opted_out boolean not null,
  reason text not null,
  events_applied integer not null,
  updated_at timestamptz(3) not null,
  primary key (workspace_id, lead_id)
);
