import { defineConfig } from 'vitest/config'
import { workerDb } from '@workerdb/vitest'

export default defineConfig({
  plugins: [workerDb()],
  test: {
    pool: 'forks',
    maxWorkers: 2,
  },
})
