create table accounts (
  id bigint generated always as identity primary key,
  email text not null unique,
  balance_cents bigint not null default 0 check (balance_cents >= 0)
);
