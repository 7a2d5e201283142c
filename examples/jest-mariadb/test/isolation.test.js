const { getWorkerDatabase } = require('@workerdb/jest')
const { addProduct } = require('../src/inventory')
const { useDb } = require('./db')

const db = useDb()

test("a row written here is in no other worker's database", async () => {
  const me = getWorkerDatabase()
  const sku = `ISO-${me.workerId}-${process.pid}`
  await addProduct(db, { sku, title: 'Only here', priceCents: 100 })
  // The other clones of this run, as the server lists them (the user may read them all: root here).
  const [clones] = await db.query(
    "select schema_name as name from information_schema.schemata where schema_name like ? and schema_name <> database()",
    [`%\\_${me.runId}\\_%`])
  expect(clones.length).toBeGreaterThan(0)
  for (const { name } of clones) {
    const [[{ n }]] = await db.query(`select count(*) as n from \`${name}\`.products where sku = ?`, [sku])
    expect({ name, n }).toEqual({ name, n: 0 })
  }
  const [[{ n }]] = await db.query('select count(*) as n from products where sku = ?', [sku])
  expect(n).toBe(1)
})

test('a write lock held here blocks no other worker', async () => {
  const conn = await db.getConnection()
  try {
    await conn.query('lock tables products write')
    // Other files run at the same time against their own clones: for 200 ms, no session may wait on this database.
    const waiting = []
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 20))
      const [rows] = await db.query("select id, state, info from information_schema.processlist where db = database() and state like 'Waiting for%'")
      waiting.push(...rows)
    }
    await conn.query('unlock tables')
    expect(waiting).toEqual([])
  } finally {
    conn.release()
  }
})
