create table orders (
  id int not null auto_increment primary key,
  customer_email varchar(200) not null,
  status enum('open', 'paid', 'cancelled') not null default 'open',
  created_at timestamp not null default current_timestamp
) engine = InnoDB;

create table order_lines (
  order_id int not null,
  product_id int not null,
  quantity int not null check (quantity > 0),
  unit_price_cents int not null,
  primary key (order_id, product_id),
  constraint order_lines_order_fk foreign key (order_id) references orders (id) on delete cascade,
  constraint order_lines_product_fk foreign key (product_id) references products (id)
) engine = InnoDB;

-- What each order comes to, for reports and for the tests.
create view order_totals as
  select o.id as order_id, o.customer_email, o.status, cast(coalesce(sum(l.quantity * l.unit_price_cents), 0) as signed) as total_cents
    from orders o left join order_lines l on l.order_id = o.id
   group by o.id, o.customer_email, o.status;
