const { execFileSync } = require('node:child_process')
const { getWorkerDatabase } = require('@workerdb/jest')
const { useDb } = require('./db')

const db = useDb()

test("DATABASE_URL is on this run's clone for this worker id", async () => {
  // What the server says this connection is on (through the DATABASE_URL the app uses), against the worker
  // id as Jest gave it to this process: a clone is named <prefix>_<run id>_<worker id>.
  const [rows] = await db.sequelize.query("select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()")
  const { runId } = getWorkerDatabase()
  expect(rows[0].name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.JEST_WORKER_ID}$`))
  expect(JSON.parse(rows[0].marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test("the template was migrated as sequelize-cli migrates: its SequelizeMeta lists every migration, and the CLI finds nothing to do", async () => {
  const [rows] = await db.sequelize.query('select name from "SequelizeMeta" order by name')
  expect(rows.map((r) => r.name)).toEqual(['20250101000000-create-accounts.js', '20250102000000-create-transfers.js'])
  const cli = require.resolve('sequelize-cli/lib/sequelize')
  const out = execFileSync(process.execPath, [cli, 'db:migrate:status', '--url', process.env.DATABASE_URL, '--migrations-path', `${__dirname}/../migrations`], { encoding: 'utf8' })
  expect(out).toMatch(/up 20250101000000-create-accounts\.js\s+up 20250102000000-create-transfers\.js/)
})
