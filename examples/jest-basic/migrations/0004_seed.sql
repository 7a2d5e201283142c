insert into products (sku, title, price_cents, stock) values
  ('MUG-1', 'Mug', 1200, 10),
  ('TEE-M', 'T-shirt M', 2500, 5),
  ('CAP-1', 'Cap', 1800, 0);
