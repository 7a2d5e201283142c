import { useApp } from './app'

const app = useApp()

// The same e-mail as users.spec.ts, under a unique constraint: on a shared database one file would fail.
test('the same e-mail registers here too: no other file writes to this clone', async () => {
  const user = await app.users.register('ada@example.com', 'Ada Lovelace')
  expect(user.id).toBe(1)
  await expect(app.users.register('ada@example.com', 'Ada again')).rejects.toThrow(/duplicate key/)
})
