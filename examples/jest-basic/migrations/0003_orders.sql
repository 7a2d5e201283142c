create table orders (
  id bigint generated always as identity primary key,
  customer_id bigint not null references customers(id),
  status text not null default 'open' check (status in ('open', 'paid', 'cancelled')),
  created_at timestamptz not null default now()
);
create table order_lines (
  order_id bigint not null references orders(id) on delete cascade,
  product_id bigint not null references products(id),
  quantity integer not null check (quantity > 0),
  unit_price_cents integer not null,
  primary key (order_id, product_id)
);
create index order_lines_product_idx on order_lines (product_id);
