import { expect, test } from 'vitest'
import { draft, publish, published, signUp } from '../src/blog.js'
import { useDb } from './db.js'

const db = useDb()

test('lists only published posts, newest first', async () => {
  const author = await signUp(db, 'linus@example.test', 'Linus')
  const first = await draft(db, author, 'first')
  const second = await draft(db, author, 'second')
  await draft(db, author, 'still a draft')
  await publish(db, first, new Date('2025-01-01'))
  await publish(db, second, new Date('2025-02-01'))
  expect(await published(db, author)).toEqual([{ title: 'second' }, { title: 'first' }])
})
