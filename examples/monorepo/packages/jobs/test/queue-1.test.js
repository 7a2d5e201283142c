const { useDb } = require('./db')

const db = useDb()

// Only this file's kind of job: when Jest runs in band (its choice on a second run of fast files), every
// file of the run shares worker 1's clone, one after another, and the others leave their jobs there.
test('claims one queued job with skip locked', async () => {
  await db.query("insert into jobs (kind) select 'mail' from generate_series(1, 3)")
  const { rows } = await db.query(`
    update jobs set state = 'running', attempts = attempts + 1
     where id = (select id from jobs where state = 'queued' and kind = 'mail' order by id limit 1 for update skip locked)
     returning id`)
  expect(rows).toHaveLength(1)
  const left = await db.query("select count(*)::int as n from jobs where state = 'queued' and kind = 'mail'")
  expect(left.rows[0].n).toBe(2)
})
