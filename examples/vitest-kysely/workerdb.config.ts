import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // Kysely's own Migrator runs ./migrations once into the template (TypeScript, no build step); the
  // template is rebuilt only when a file there changes.
  migrate: { kysely: './migrations' },
  // Every test file starts with empty tables (ids from 1), wherever the pool runs it; Kysely's ledger stays.
  reset: 'truncate',
})
