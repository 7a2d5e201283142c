import pg from 'pg'
import { expect, test } from '@workerdb/playwright/test'

// Every worker's requests reach the same app and so the same database: each test writes data of its own
// (a unique title) and asserts only on that, never on the whole list.
const mine = (title: string) => (todos: Array<{ title: string }>) => todos.filter((t) => t.title === title)

for (const n of [1, 2, 3, 4]) {
  test(`a todo of its own ${n}, found among everyone's`, async ({ request }, testInfo) => {
    const title = `todo ${testInfo.testId} #${testInfo.retry}`
    expect((await request.post('/todos', { data: { title } })).status()).toBe(201)
    const todos = await (await request.get('/todos')).json()
    expect(mine(title)(todos)).toHaveLength(1)
  })
}

test('what the app writes is not in this worker\'s clone: the shared server has a database of its own', async ({ request, workerDatabase }, testInfo) => {
  await request.post('/todos', { data: { title: `todo ${testInfo.testId}` } })
  const client = new pg.Client({ connectionString: workerDatabase.url })
  await client.connect()
  try {
    const { rows } = await client.query('select count(*)::int as n from todos')
    expect(rows).toEqual([{ n: 0 }])
  } finally {
    await client.end()
  }
})
