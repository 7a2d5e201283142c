-- Reference data every test starts from: it is in the template, so in every worker's copy.
insert into lists (id, name) values (1, 'inbox'), (2, 'groceries');
insert into todos (list_id, title, done) values (1, 'read the workerdb README', 1), (2, 'oat milk', 0);
