const { useDb } = require('./db')

const db = useDb()

test('claims one queued job with skip locked', async () => {
  await db.query("insert into jobs (kind) select 'mail' from generate_series(1, 3)")
  const { rows } = await db.query(`
    update jobs set state = 'running', attempts = attempts + 1
     where id = (select id from jobs where state = 'queued' order by id limit 1 for update skip locked)
     returning id`)
  expect(rows).toHaveLength(1)
  const left = await db.query("select count(*)::int as n from jobs where state = 'queued'")
  expect(left.rows[0].n).toBe(2)
})
