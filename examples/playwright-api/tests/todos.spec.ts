import { expect, test } from './fixtures'

test('a new todo is listed, not done', async ({ request }) => {
  const created = await request.post('/todos', { data: { title: 'write the docs' } })
  expect(created.status()).toBe(201)
  const list = await request.get('/todos')
  // Exactly this test's row: the worker's own database, emptied before the test.
  expect(await list.json()).toEqual([{ id: expect.any(Number), title: 'write the docs', done: false }])
})

test('a todo can be marked done', async ({ request }) => {
  const { id } = await (await request.post('/todos', { data: { title: 'ship it' } })).json()
  const done = await request.post(`/todos/${id}/done`)
  expect(await done.json()).toMatchObject({ id, done: true })
})

test('a todo needs a title', async ({ request }) => {
  const res = await request.post('/todos', { data: { title: '' } })
  expect(res.status()).toBe(400)
  expect(await (await request.get('/todos')).json()).toEqual([])
})
