create table products (
  id int not null auto_increment primary key,
  sku varchar(32) not null unique,
  title varchar(200) not null,
  price_cents int not null check (price_cents >= 0),
  stock int not null default 0 check (stock >= 0)
) engine = InnoDB;
