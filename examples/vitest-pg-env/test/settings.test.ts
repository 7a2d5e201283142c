import { getWorkerDatabase } from '@workerdb/vitest'
import { expect, test } from 'vitest'
import { settings } from '../src/settings.js'
import { useDb } from './db.js'

const db = useDb()

test('every discrete setting names this worker\'s clone, over test.env', async () => {
  const me = getWorkerDatabase()
  expect(settings.databaseName).toBe(me.database)
  expect(process.env.PGDATABASE).toBe(me.database)
  expect(process.env.PGPORT).toBe(me.port)
  // What the server says the connection made from those settings is on: this run's clone for the worker id
  // Vitest gave this process (a clone is named <prefix>_<run id>_<worker id>).
  const { rows } = await db.query('select current_database() as name')
  expect(rows[0].name).toBe(me.database)
  expect(rows[0].name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${me.runId}_${process.env.VITEST_POOL_ID}$`))
})

test('the template was migrated by node-pg-migrate: its ledger lists every migration', async () => {
  const { rows } = await db.query('select name from pgmigrations order by run_on, id')
  expect(rows.map((r) => r.name)).toEqual(['1735689600000_inventory', '1735776000000_movements'])
})
