create table jobs (
  id bigint generated always as identity primary key,
  kind text not null,
  state text not null default 'queued' check (state in ('queued', 'running', 'done')),
  attempts int not null default 0
);
create index jobs_state_idx on jobs (state);
