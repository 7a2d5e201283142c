import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // The config MikroORM's CLI reads: its migrator runs ./migrations once, into a template, and its
  // mikro_orm_migrations ledger says so.
  migrate: { mikroOrm: './mikro-orm.config.ts' },
  // Every test file starts with empty tables (ids from 1); MikroORM's ledger stays.
  reset: 'truncate',
})
