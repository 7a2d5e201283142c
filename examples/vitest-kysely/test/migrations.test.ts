import { getWorkerDatabase } from '@workerdb/vitest'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = useDb()

test('DATABASE_URL is on this run\'s clone for this worker id', async () => {
  // What the server says this connection is on (through the DATABASE_URL the app uses), against the worker
  // id as Vitest gave it to this process: a clone is named <prefix>_<run id>_<worker id>.
  const { rows } = await sql<{ name: string; marker: string }>`
    select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()`.execute(db)
  const { runId } = getWorkerDatabase()
  expect(rows[0]!.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.VITEST_POOL_ID}$`))
  expect(JSON.parse(rows[0]!.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the template was migrated by Kysely: its own ledger lists every migration', async () => {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
  expect(rows.map((r) => r.name)).toEqual(['0001_projects', '0002_tasks'])
})
