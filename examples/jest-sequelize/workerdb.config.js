const { defineConfig } = require('@workerdb/jest')

module.exports = defineConfig({
  // sequelize-cli's migrations (what `npx sequelize-cli db:migrate` runs), once, into a template.
  migrate: { sequelize: './migrations' },
  // Every test file starts with empty tables (ids from 1); the SequelizeMeta ledger stays.
  reset: 'truncate',
})
