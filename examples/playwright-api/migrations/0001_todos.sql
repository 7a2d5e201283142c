create table todos (
  id serial primary key,
  title text not null check (title <> ''),
  done boolean not null default false
);
