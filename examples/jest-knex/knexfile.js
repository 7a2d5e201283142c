// The project's own knexfile, unchanged for tests: workerdb reads its `migrations` settings and swaps in
// each database's connection. The app and the knex CLI keep using it as before.
module.exports = {
  development: {
    client: 'pg',
    connection: process.env.DATABASE_URL,
    migrations: { directory: './migrations', tableName: 'knex_migrations' },
  },
  test: {
    client: 'pg',
    connection: process.env.DATABASE_URL,
    migrations: { directory: './migrations', tableName: 'knex_migrations' },
  },
}
