import { getWorkerDatabase } from '@workerdb/vitest'
import { sql } from 'drizzle-orm'
import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = useDb()

test('DATABASE_URL points at this worker\'s own clone', async () => {
  const { rows } = await db.execute<{ name: string }>(sql`select current_database() as name`)
  expect(rows[0]!.name).toBe(getWorkerDatabase().database)
})

test('the template was migrated by drizzle: its own ledger has every generated migration', async () => {
  const { rows } = await db.execute<{ n: number }>(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)
  expect(rows[0]!.n).toBe(1)
})
