import { defineConfig } from 'vitest/config'
import { workerDb } from '@workerdb/vitest'

export default defineConfig({
  plugins: [workerDb()],
  test: {
    pool: 'forks',
    maxWorkers: 2,
    // What a project's .env.test often says: one shared database. workerdb's values win in every worker.
    env: { PGDATABASE: 'shared_test_db', APP_DB_NAME: 'shared_test_db' },
    // The app's own setup file, which reads its settings at import time: it already sees the clone.
    setupFiles: ['./test/setup.ts'],
  },
})
