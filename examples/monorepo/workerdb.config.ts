import { join } from 'node:path'
import { defineConfig } from '@workerdb/core'

// One file at the monorepo root serves every package. The function form runs once per package's test run:
// `packageDir` is the package being tested, so each package brings its own migrations (and so gets a
// template of its own, named by their hash), while the server and the rest are shared.
export default defineConfig(({ packageDir }) => ({
  migrate: { sql: join(packageDir, 'migrations') },
  env: { DATABASE_URL: 'url', PGDATABASE: 'database' },
}))
