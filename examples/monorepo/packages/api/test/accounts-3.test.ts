import { expect, test } from 'vitest'
import { useDb } from './db.js'

const db = await useDb()

test('emails are unique', async () => {
  await db.query("insert into accounts (email) values ('once@api.test')")
  await expect(db.query("insert into accounts (email) values ('once@api.test')")).rejects.toThrow(/duplicate key/)
})
