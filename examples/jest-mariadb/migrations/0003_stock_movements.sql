-- Every change of stock, written by the database itself: an order line takes its quantity out of stock.
create table stock_movements (
  id int not null auto_increment primary key,
  product_id int not null,
  delta int not null,
  reason varchar(100) not null,
  constraint stock_movements_product_fk foreign key (product_id) references products (id)
) engine = InnoDB;

create trigger order_lines_take_stock after insert on order_lines for each row
  insert into stock_movements (product_id, delta, reason) values (new.product_id, -new.quantity, concat('order ', new.order_id));
