import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = await useDb()

test('a balance never goes below zero', async () => {
  await db.query("insert into accounts (email, balance_cents) values ('poor@api.test', 100)")
  await expect(db.query("update accounts set balance_cents = balance_cents - 101 where email = 'poor@api.test'")).rejects.toThrow(/check constraint/)
})
