const { useDb } = require('./db')

const db = useDb()

test('finished jobs leave the queue', async () => {
  await db.query("insert into jobs (kind, state) values ('report', 'done'), ('report', 'queued')")
  const { rows } = await db.query("select count(*)::int as n from jobs where state = 'queued' and kind = 'report'")
  expect(rows[0].n).toBe(1)
})
