const { getWorkerDatabase } = require('@workerdb/jest')
const { useDb } = require('./db')

const db = useDb()

test("DATABASE_URL is on this run's clone for this worker id", async () => {
  // What the server says this connection is on (through the DATABASE_URL the app uses), against the worker
  // id as Jest gave it to this process: a clone is named <prefix>_<run id>_<worker id>.
  const { rows } = await db.raw("select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()")
  const { runId } = getWorkerDatabase()
  expect(rows[0].name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.JEST_WORKER_ID}$`))
  expect(JSON.parse(rows[0].marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the template was migrated by knex: its own ledger lists every migration', async () => {
  const rows = await db('knex_migrations').orderBy('name').pluck('name')
  expect(rows).toEqual(['20250101000000_accounts.js', '20250102000000_transfers.js'])
  // So the knex CLI (or an app that migrates at startup) finds nothing left to do.
  const [, pending] = await db.migrate.list({ directory: `${__dirname}/../migrations` })
  expect(pending).toEqual([])
})
