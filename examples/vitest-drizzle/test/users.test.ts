import { eq } from 'drizzle-orm'
import { expect, test } from 'vitest'
import { signUp } from '../src/blog.js'
import { users } from '../src/schema.js'
import { useDb } from './db.js'

const db = useDb()

test('signs a user up', async () => {
  const id = await signUp(db, 'ada@example.test', 'Ada')
  const [row] = await db.select().from(users).where(eq(users.id, id))
  expect(row).toMatchObject({ email: 'ada@example.test', name: 'Ada' })
})

test('emails are unique', async () => {
  await signUp(db, 'grace@example.test', 'Grace')
  await expect(signUp(db, 'grace@example.test', 'Grace again')).rejects.toThrow()
})
