import { useApp } from './app'

const app = useApp()

test('registers users through the service and its repository: ids start at 1 on this clone', async () => {
  await app.users.register('ada@example.com', 'Ada')
  await app.users.register('grace@example.com', 'Grace')
  const users = await app.users.findAll()
  expect(users.map((u) => [u.id, u.email])).toEqual([[1, 'ada@example.com'], [2, 'grace@example.com']])
  expect(users[0]!.createdAt).toBeInstanceOf(Date)
})
