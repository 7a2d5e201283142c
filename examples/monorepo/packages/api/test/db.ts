import { getWorkerDatabase } from '@workerdb/vitest'
import pg from 'pg'
import { afterAll, expect, test } from 'vitest'

/** This file's connection to its worker's clone, with the check every file of this package makes. */
export async function useDb(): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await db.connect()
  afterAll(() => db.end())
  test('runs on this worker\'s clone of the api template', async () => {
    const { rows } = await db.query('select current_database() as name')
    expect(rows[0].name).toBe(getWorkerDatabase().database)
    expect(process.env.PGDATABASE).toBe(rows[0].name)
    // The api package's own schema, not the jobs package's.
    const tables = await db.query("select table_name from information_schema.tables where table_schema = 'public' order by 1")
    expect(tables.rows.map((r) => r.table_name)).toEqual(['accounts'])
  })
  return db
}
