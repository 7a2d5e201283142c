import { getWorkerDatabase } from '@workerdb/jest'
import dataSource from '../src/data-source'
import { useApp } from './app'

const app = useApp()

test("the app's connection is on this run's clone for this worker id", async () => {
  // What the server says the app's connection is on, against the worker id Jest gave this process:
  // a clone is named <prefix>_<run id>_<worker id>.
  const [row] = await app.dataSource.query("select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()")
  const { runId } = getWorkerDatabase()
  expect(row.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.JEST_WORKER_ID}$`))
  expect(JSON.parse(row.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the template was migrated as typeorm migration:run migrates: TypeORM finds nothing pending', async () => {
  // The project's own DataSource (the one typeorm's CLI takes), on this worker's clone.
  await dataSource.initialize()
  try {
    const ledger = await dataSource.query('select name from migrations order by id')
    expect(ledger.map((r: { name: string }) => r.name)).toEqual(['CreateUsers1735689600000', 'UserCreatedAt1735776000000'])
    expect(await dataSource.showMigrations()).toBe(false)
  } finally {
    await dataSource.destroy()
  }
})
