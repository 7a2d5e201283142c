import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // node-pg-migrate's own runner applies ./migrations once into the template (ledger: pgmigrations).
  migrate: { nodePgMigrate: './migrations' },
  // This app never reads a URL: node-postgres reads the standard PG* variables, and the app's own config
  // reads APP_DB_NAME when it is imported. Each worker gets all of them, pointing at its own clone.
  env: {
    PGHOST: 'host',
    PGPORT: 'port',
    PGUSER: 'user',
    PGPASSWORD: 'password',
    PGDATABASE: 'database',
    APP_DB_NAME: 'database',
  },
})
