import { getWorkerDatabase } from '@workerdb/vitest'
import { expect, test } from 'vitest'
import { useOrm } from './orm.js'

const app = useOrm()

test("the app's connection is on this run's clone for this worker id", async () => {
  // What the server says MikroORM's connection is on, against the worker id Vitest gave this process:
  // a clone is named <prefix>_<run id>_<worker id>.
  const [row] = await app.orm.em.getConnection().execute("select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()")
  const { runId } = getWorkerDatabase()
  expect(row.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.VITEST_POOL_ID}$`))
  expect(JSON.parse(row.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the template was migrated as `mikro-orm migration:up` migrates: MikroORM finds nothing pending', async () => {
  const migrator = app.orm.migrator
  expect((await migrator.getExecutedMigrations()).map((m) => m.name)).toEqual(['Migration20250101000000_authors', 'Migration20250102000000_books'])
  expect(await migrator.getPendingMigrations()).toEqual([])
})
