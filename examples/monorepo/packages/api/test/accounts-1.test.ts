import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = await useDb()

test('a transfer keeps the total', async () => {
  await db.query("insert into accounts (email, balance_cents) values ('a@api.test', 1000), ('b@api.test', 0)")
  await db.query('begin')
  await db.query("update accounts set balance_cents = balance_cents - 250 where email = 'a@api.test'")
  await db.query("update accounts set balance_cents = balance_cents + 250 where email = 'b@api.test'")
  await db.query('commit')
  const { rows } = await db.query("select sum(balance_cents)::int as total from accounts where email like '%@api.test'")
  expect(rows[0].total).toBe(1000)
})
