import pg from 'pg'

/** No URL anywhere: node-postgres takes PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE from the environment. */
export function createPool(): pg.Pool {
  return new pg.Pool({ max: 4 })
}
