import { expect, test } from 'vitest'
import { useClient } from './client.js'

const prisma = useClient()

test('creates a user with posts through the generated client: ids start at 1 on this clone', async () => {
  const user = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada', posts: { create: [{ title: 'Notes' }, { title: 'Sketches' }] } }, include: { posts: true } })
  expect(user.id).toBe(1)
  expect(user.posts.map((p) => p.title).sort()).toEqual(['Notes', 'Sketches'])
})
