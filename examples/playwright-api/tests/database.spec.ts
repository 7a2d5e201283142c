import pg from 'pg'
import { expect, test } from './fixtures'

test('the API and the test see the same database: the worker\'s clone', async ({ request, workerDatabase }) => {
  await request.post('/todos', { data: { title: 'seen from the test' } })
  const client = new pg.Client({ connectionString: workerDatabase.url })
  await client.connect()
  try {
    const { rows } = await client.query('select current_database() as db, count(*)::int as n from todos')
    expect(rows).toEqual([{ db: workerDatabase.database, n: 1 }])
  } finally {
    await client.end()
  }
})
