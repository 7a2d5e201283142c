import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // No server: the template and each worker's copy are files in node_modules/.cache/workerdb/sqlite.
  // (WORKERDB_URL=file:/some/dir, or `server: { url: 'file:./.db' }`, puts them elsewhere.)
  dialect: 'sqlite',
  migrate: { sql: './migrations' },
})
