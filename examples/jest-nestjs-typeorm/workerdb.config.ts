import { defineConfig } from '@workerdb/jest'

export default defineConfig({
  // The DataSource typeorm's CLI takes (`typeorm migration:run -d src/data-source.ts`): its migrations run
  // once, into a template, and its ledger says so.
  migrate: { typeorm: './src/data-source.ts' },
  // Every test file starts with empty tables; TypeORM's migrations ledger stays.
  reset: 'truncate',
})
