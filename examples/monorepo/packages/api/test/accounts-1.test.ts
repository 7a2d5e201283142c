import { getWorkerDatabase } from '@workerdb/vitest'
import pg from 'pg'
import { afterAll, expect, test } from 'vitest'

const db = new pg.Client({ connectionString: process.env.DATABASE_URL })
await db.connect()
afterAll(() => db.end())

test('runs on this worker\'s clone of the api template', async () => {
  const { rows } = await db.query('select current_database() as name')
  expect(rows[0].name).toBe(getWorkerDatabase().database)
  expect(process.env.PGDATABASE).toBe(rows[0].name)
  // The api package's own schema, not the jobs package's.
  const tables = await db.query("select table_name from information_schema.tables where table_schema = 'public' order by 1")
  expect(tables.rows.map((r) => r.table_name)).toEqual(['accounts'])
})

test('transfers money within one account table (1)', async () => {
  await db.query('insert into accounts (email, balance_cents) values ($1, 1000), ($2, 0)', ['a1@api.test', 'b1@api.test'])
  await db.query('begin')
  await db.query("update accounts set balance_cents = balance_cents - 250 where email = 'a1@api.test'")
  await db.query("update accounts set balance_cents = balance_cents + 250 where email = 'b1@api.test'")
  await db.query('commit')
  const { rows } = await db.query("select sum(balance_cents)::int as total from accounts where email like '%1@api.test'")
  expect(rows[0].total).toBe(1000)
})
