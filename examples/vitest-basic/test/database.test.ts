import { getWorkerDatabase } from '@workerdb/vitest'
import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = useDb()

test('DATABASE_URL is on this run\'s clone for this worker id', async () => {
  // The worker id as Vitest gave it to this process, not as workerdb read it.
  const workerId = process.env.VITEST_POOL_ID
  const { runId } = getWorkerDatabase()
  // What the server says this connection is on, through the DATABASE_URL the app uses, and that database's marker.
  const { rows: [here] } = await db.query(`
    select d.datname as name, shobj_description(d.oid, 'pg_database') as marker
      from pg_database d where d.datname = current_database()`)
  // A clone is named <prefix>_<run id>_<worker id>: this one must be this run's clone for this worker id.
  expect(here.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${workerId}$`))
  expect(JSON.parse(here.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the clone carries the migrated schema and seed rows', async () => {
  const { rows } = await db.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'")
  expect(rows[0].n).toBe(4)
  const seed = await db.query("select sku from products where sku in ('MUG-1', 'TEE-M', 'CAP-1') order by sku")
  expect(seed.rows.map((r) => r.sku)).toEqual(['CAP-1', 'MUG-1', 'TEE-M'])
})
