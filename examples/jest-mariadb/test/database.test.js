const { getWorkerDatabase } = require('@workerdb/jest')
const { addProduct } = require('../src/inventory')
const { useDb } = require('./db')

const db = useDb()

test("DATABASE_URL is on this run's clone for this worker id", async () => {
  // The worker id as Jest gave it to this process, not as workerdb read it.
  const workerId = process.env.JEST_WORKER_ID
  const { runId } = getWorkerDatabase()
  // What the server says this connection is on, and that database's marker: its comment on MariaDB; on
  // MySQL, which keeps no database comments, the comment of the procedure workerdb_marker in it.
  const [[{ version }]] = await db.query('select version() as version')
  const [[here]] = /mariadb/i.test(version)
    ? await db.query('select schema_name as name, schema_comment as marker from information_schema.schemata where schema_name = database()')
    : await db.query(`select routine_schema as name, routine_comment as marker from information_schema.routines
        where routine_schema = database() and routine_name = 'workerdb_marker' and routine_type = 'PROCEDURE'`)
  // A clone is named <prefix>_<run id>_<worker id>: this one must be this run's clone for this worker id.
  expect(here.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${workerId}$`))
  expect(JSON.parse(here.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('the clone carries the migrated schema: tables, view, trigger, foreign keys and seed rows', async () => {
  const [tables] = await db.query(`
    select table_name as name, table_type as type from information_schema.tables
     where table_schema = database() and table_name <> 'example_visits'`)
  expect(tables.map((t) => `${t.name} ${t.type}`).sort()).toEqual([
    'order_lines BASE TABLE', 'order_totals VIEW', 'orders BASE TABLE', 'products BASE TABLE', 'stock_movements BASE TABLE',
  ])
  const [triggers] = await db.query('select trigger_name as name from information_schema.triggers where trigger_schema = database()')
  expect(triggers.map((t) => t.name)).toEqual(['order_lines_take_stock'])
  const [fks] = await db.query(`
    select constraint_name as name from information_schema.referential_constraints
     where constraint_schema = database() order by constraint_name`)
  expect(fks.map((f) => f.name)).toEqual(['order_lines_order_fk', 'order_lines_product_fk', 'stock_movements_product_fk'])
  // Seed rows (their stock aside: the other files of this worker may have sold some already).
  const [seed] = await db.query("select sku, price_cents from products where sku in ('MUG-1', 'TEE-M', 'CAP-1') order by id")
  expect(seed).toEqual([{ sku: 'MUG-1', price_cents: 1200 }, { sku: 'TEE-M', price_cents: 2500 }, { sku: 'CAP-1', price_cents: 1800 }])
  const [opening] = await db.query(`
    select p.sku, m.delta from stock_movements m join products p on p.id = m.product_id
     where m.reason = 'opening stock' order by m.id`)
  expect(opening).toEqual([{ sku: 'MUG-1', delta: 10 }, { sku: 'TEE-M', delta: 5 }])
})

test("AUTO_INCREMENT carries on from the template's seed rows", async () => {
  const id = await addProduct(db, { sku: `PIN-${process.env.JEST_WORKER_ID}`, title: 'Pin', priceCents: 300 })
  expect(id).toBeGreaterThan(3)
})
