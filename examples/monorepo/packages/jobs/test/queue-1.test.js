const pg = require('pg')
const { getWorkerDatabase } = require('@workerdb/jest')

const db = new pg.Client({ connectionString: process.env.DATABASE_URL })
beforeAll(() => db.connect())
afterAll(() => db.end())

test('runs on this worker\'s clone of the jobs template', async () => {
  const { rows } = await db.query('select current_database() as name')
  expect(rows[0].name).toBe(getWorkerDatabase().database)
  expect(process.env.PGDATABASE).toBe(rows[0].name)
  const tables = await db.query("select table_name from information_schema.tables where table_schema = 'public' order by 1")
  expect(tables.rows.map((r) => r.table_name)).toEqual(['jobs'])
})

test('claims queued jobs with skip locked (1)', async () => {
  await db.query("insert into jobs (kind) select 'mail-1' from generate_series(1, 3)")
  const { rows } = await db.query(`
    update jobs set state = 'running', attempts = attempts + 1
     where id = (select id from jobs where state = 'queued' and kind = 'mail-1' order by id limit 1 for update skip locked)
     returning id`)
  expect(rows).toHaveLength(1)
  const left = await db.query("select count(*)::int as n from jobs where state = 'queued' and kind = 'mail-1'")
  expect(left.rows[0].n).toBe(2)
})
