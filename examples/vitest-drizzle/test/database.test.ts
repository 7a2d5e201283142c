import { getWorkerDatabase } from '@workerdb/vitest'
import { sql } from 'drizzle-orm'
import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = useDb()

test('DATABASE_URL is on this run\'s clone for this worker id', async () => {
  // What the server says this connection is on (through the DATABASE_URL the app uses), against the worker
  // id as Vitest gave it to this process: a clone is named <prefix>_<run id>_<worker id>.
  const { rows } = await db.execute<{ name: string; marker: string }>(sql`
    select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()`)
  const { runId } = getWorkerDatabase()
  expect(rows[0]!.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.VITEST_POOL_ID}$`))
  expect(JSON.parse(rows[0]!.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the template was migrated by drizzle: its own ledger has every generated migration', async () => {
  const { rows } = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)
  expect(rows[0]!.n).toBe(1)
})
