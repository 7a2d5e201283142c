const { getWorkerDatabase } = require('@workerdb/jest')
const { useApp } = require('./setup')

const db = useApp()

test("the app's connection is on this run's clone for this worker id, with the synced schema", async () => {
  const [rows] = await db.sequelize.query("select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()")
  const { runId } = getWorkerDatabase()
  expect(rows[0].name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.JEST_WORKER_ID}$`))
  expect(JSON.parse(rows[0].marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
  const tables = await db.sequelize.getQueryInterface().showAllTables()
  expect(tables.sort()).toEqual(['customers', 'orders'])
})
