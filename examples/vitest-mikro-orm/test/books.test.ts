import { expect, test } from 'vitest'
import { Author } from '../src/entities/author.js'
import { useOrm } from './orm.js'

const app = useOrm()

// The same author name as authors.test.ts, under a unique constraint: on a shared database one file would fail.
test('the same author name persists here too: no other file writes to this clone', async () => {
  const em = app.orm.em.fork()
  const author = new Author('Ursula')
  await em.persist(author).flush()
  expect(author.id).toBe(1)
  await expect(app.orm.em.fork().persist(new Author('Ursula')).flush()).rejects.toThrow(/duplicate key|unique/)
})
