const { getWorkerDatabase } = require('@workerdb/jest')
const { useDb } = require('./db')

const db = useDb()

test("DATABASE_URL points at this worker's own clone", async () => {
  const me = getWorkerDatabase()
  const { rows } = await db.query('select current_database() as name')
  expect(rows[0].name).toBe(me.database)
  expect(String(me.workerId)).toBe(process.env.JEST_WORKER_ID)
})

test('the clone carries the migrated schema and seed rows', async () => {
  const { rows } = await db.query("select count(*)::int as n from information_schema.tables where table_schema = 'public'")
  expect(rows[0].n).toBe(4)
  const seed = await db.query("select sku from products where sku in ('MUG-1', 'TEE-M', 'CAP-1') order by sku")
  expect(seed.rows.map((r) => r.sku)).toEqual(['CAP-1', 'MUG-1', 'TEE-M'])
})
