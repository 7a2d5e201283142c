const { defineConfig } = require('@workerdb/jest')

module.exports = defineConfig({
  // No `server`: WORKERDB_URL if set, else an embedded PostgreSQL that workerdb starts and stops.
  migrate: { sql: './migrations' },
})
