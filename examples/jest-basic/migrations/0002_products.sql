create table products (
  id bigint generated always as identity primary key,
  sku text not null unique,
  title text not null,
  price_cents integer not null check (price_cents >= 0),
  stock integer not null default 0 check (stock >= 0)
);
