// The app server per worker: each Playwright worker starts the API on a free port with its own clone
// (DATABASE_URL, set by '@workerdb/playwright/test' before this runs), and every test's `request` goes there.
import { test as base, expect } from '@workerdb/playwright/test'
import { startApp } from '../src/app.mjs'

export const test = base.extend<{}, { appUrl: string }>({
  appUrl: [async ({}, use) => {
    const app = await startApp({ databaseUrl: process.env.DATABASE_URL })
    await use(app.url)
    await app.close()
  }, { scope: 'worker' }],
  baseURL: async ({ appUrl }, use) => use(appUrl),
})

export { expect }
