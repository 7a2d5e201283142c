const { getWorkerDatabase } = require('@workerdb/jest')
const { useDb } = require('./db')

const db = useDb()

test("a table made here exists only in this worker's database", async () => {
  const me = getWorkerDatabase()
  await db.query('create table scratch_isolation (worker int)')
  await db.query('insert into scratch_isolation values ($1)', [me.workerId])
  const { rows } = await db.query('select worker from scratch_isolation')
  expect(rows).toEqual([{ worker: me.workerId }])
  await db.query('drop table scratch_isolation')
})

test('a long transaction here blocks no other worker', async () => {
  const client = await db.connect()
  try {
    await client.query('begin')
    await client.query('lock table products in access exclusive mode')
    // Other files run at the same time against their own clones: for 200 ms, no session may queue behind this lock.
    const waiting = []
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 20))
      const { rows } = await client.query(`
        select a.pid, a.query from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where not l.granted and l.database = (select oid from pg_database where datname = current_database())`)
      waiting.push(...rows)
    }
    await client.query('rollback')
    expect(waiting).toEqual([])
  } finally {
    client.release()
  }
})
