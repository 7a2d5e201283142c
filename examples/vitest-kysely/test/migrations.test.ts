import { getWorkerDatabase } from '@workerdb/vitest'
import { sql } from 'kysely'
import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = useDb()

test('DATABASE_URL points at this worker\'s own clone', async () => {
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db)
  expect(rows[0]!.name).toBe(getWorkerDatabase().database)
})

test('the template was migrated by Kysely: its own ledger lists every migration', async () => {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)
  expect(rows.map((r) => r.name)).toEqual(['0001_projects', '0002_tasks'])
})
