create table lists (
  id integer primary key,
  name text not null unique
);

create table todos (
  id integer primary key autoincrement,
  list_id integer not null references lists(id),
  title text not null,
  done integer not null default 0 check (done in (0, 1))
);

create index todos_by_list on todos(list_id);
