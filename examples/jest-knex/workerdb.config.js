const { defineConfig } = require('@workerdb/jest')

module.exports = defineConfig({
  // Knex's own migrator, with the knexfile's migrations settings: run once into the template.
  migrate: { knex: './knexfile.js' },
  // Every test file starts with empty tables (ids from 1); knex's ledger (knex_migrations) stays.
  reset: 'truncate',
})
