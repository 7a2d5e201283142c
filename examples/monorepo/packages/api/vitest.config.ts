import { defineConfig } from 'vitest/config'
import { workerDb } from '@workerdb/vitest'

// No options here: workerdb.config.ts at the monorepo root is found from this package upward.
export default defineConfig({
  plugins: [workerDb()],
  test: { pool: 'forks', maxWorkers: 2 },
})
