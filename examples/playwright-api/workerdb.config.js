const { defineConfig } = require('@workerdb/playwright')

module.exports = defineConfig({
  // No `server`: WORKERDB_URL if set, else an embedded PostgreSQL that workerdb starts and stops.
  migrate: { sql: './migrations' },
  // Every test starts on an empty clone: the rows an earlier test of its worker wrote are gone.
  reset: { truncate: true, per: 'test' },
})
