import { Kysely, PostgresDialect, type Generated } from 'kysely'
import pg from 'pg'

export interface Database {
  projects: { id: Generated<number>; name: string; created_at: Generated<Date> }
  tasks: { id: Generated<number>; project_id: number; title: string; done: Generated<boolean> }
}

/** The app's connection: DATABASE_URL, which workerdb points at this worker's own database in tests. */
export function createDb(url = process.env.DATABASE_URL): Kysely<Database> {
  if (!url) throw new Error('DATABASE_URL is not set')
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }) })
}
