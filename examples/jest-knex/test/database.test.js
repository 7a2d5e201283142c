const { getWorkerDatabase } = require('@workerdb/jest')
const { useDb } = require('./db')

const db = useDb()

test("DATABASE_URL points at this worker's own clone", async () => {
  const { rows } = await db.raw('select current_database() as name')
  expect(rows[0].name).toBe(getWorkerDatabase().database)
})

test('the template was migrated by knex: its own ledger lists every migration', async () => {
  const rows = await db('knex_migrations').orderBy('name').pluck('name')
  expect(rows).toEqual(['20250101000000_accounts.js', '20250102000000_transfers.js'])
  // So the knex CLI (or an app that migrates at startup) finds nothing left to do.
  const [, pending] = await db.migrate.list({ directory: `${__dirname}/../migrations` })
  expect(pending).toEqual([])
})
