import { expect, test } from 'vitest'
import { useClient } from './client.js'

const prisma = useClient()

// The same e-mail as users.test.ts, under a unique index: on a shared database one file would fail.
test('the same e-mail signs up here too: no other file writes to this clone', async () => {
  const user = await prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada Lovelace' } })
  expect(user.id).toBe(1)
  await expect(prisma.user.create({ data: { email: 'ada@example.com', name: 'Ada again' } })).rejects.toThrow(/Unique constraint/)
})
