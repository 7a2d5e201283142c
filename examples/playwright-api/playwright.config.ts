import { defineConfig } from '@playwright/test'
import { withWorkerDb } from '@workerdb/playwright'

// withWorkerDb adds workerdb's globalSetup: the template built once, one clone per worker.
export default withWorkerDb(defineConfig({
  testDir: './tests',
  fullyParallel: true,
  workers: 2,
  reporter: process.env.CI ? 'line' : 'list',
}))
