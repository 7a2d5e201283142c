import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // drizzle-orm's migrator applies the folder drizzle.config.ts names as `out` (what `drizzle-kit migrate`
  // does), once, into the template; a new generated migration means a new template.
  migrate: { drizzle: './drizzle.config.ts' },
})
