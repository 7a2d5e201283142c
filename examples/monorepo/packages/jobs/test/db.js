const pg = require('pg')
const { getWorkerDatabase } = require('@workerdb/jest')

/** This file's connection to its worker's clone, with the check every file of this package makes. */
function useDb() {
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
  return db
}

module.exports = { useDb }
