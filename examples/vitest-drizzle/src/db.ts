import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import * as schema from './schema.js'

/** The app's connection: DATABASE_URL, which workerdb points at this worker's own database in tests. */
export function createDb(url = process.env.DATABASE_URL) {
  if (!url) throw new Error('DATABASE_URL is not set')
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  return { db: drizzle(pool, { schema }), close: () => pool.end() }
}

export type Db = ReturnType<typeof createDb>['db']
