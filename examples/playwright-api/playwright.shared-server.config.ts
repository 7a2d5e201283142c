// The other shape: ONE app server for every worker (Playwright's webServer). Playwright starts it before
// workerdb's globalSetup, so it runs on a database of its own — SHARED_DATABASE_URL, migrated like this
// project's — that every worker's requests share. workerdb still gives each worker a clone, but only what a
// test does to the database itself goes there. See docs/playwright.md.
import { defineConfig } from '@playwright/test'
import { withWorkerDb } from '@workerdb/playwright'

const shared = process.env.SHARED_DATABASE_URL
if (!shared) throw new Error('SHARED_DATABASE_URL: set it to the database the one app server uses (migrated with ./migrations)')
const port = Number(process.env.SHARED_APP_PORT ?? 3100)

export default withWorkerDb(defineConfig({
  testDir: './tests-shared',
  fullyParallel: true,
  workers: 2,
  reporter: process.env.CI ? 'line' : 'list',
  webServer: {
    command: 'node src/server.mjs',
    url: `http://127.0.0.1:${port}/todos`,
    env: { DATABASE_URL: shared, PORT: String(port) },
  },
  use: { baseURL: `http://127.0.0.1:${port}` },
}))
