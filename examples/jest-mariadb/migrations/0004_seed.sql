-- Reference data every test starts from: it is in the template, so in every worker's copy.
insert into products (sku, title, price_cents, stock) values
  ('MUG-1', 'Mug', 1200, 10),
  ('TEE-M', 'T-shirt M', 2500, 5),
  ('CAP-1', 'Cap', 1800, 0);

insert into stock_movements (product_id, delta, reason)
  select id, stock, 'opening stock' from products where stock > 0;
