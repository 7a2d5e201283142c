import { expect, test } from './fixtures'

// Each worker has its own database: what these tests write never shows up in another worker's list.
for (const n of [1, 2, 3]) {
  test(`worker-private rows ${n}`, async ({ request, workerDatabase }) => {
    const title = `from ${workerDatabase.database}, test ${n}`
    await request.post('/todos', { data: { title } })
    await request.post('/todos', { data: { title } })
    const titles = (await (await request.get('/todos')).json()).map((t: { title: string }) => t.title)
    expect(titles).toEqual([title, title])
  })
}
