import { defineConfig } from 'vitest/config'
import { workerDb } from '@workerdb/vitest'

export default defineConfig({
  plugins: [workerDb()],
  test: {
    pool: 'forks',
    // Vitest's default on a 2-core machine is 1 worker; ask for 2 to show one database file per worker.
    maxWorkers: 2,
  },
})
