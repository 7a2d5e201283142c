/** Every database kind workerdb serves, picked by a URL's scheme: the one place that lists them. */
import { WorkerDbError } from '../errors.js'
import { dialectOf, type AdminSession, type Dialect, type DialectName } from './dialect.js'
import { postgresDialect } from './postgres/index.js'
import { sqliteDialect } from './sqlite/index.js'

const DIALECTS: Partial<Record<DialectName, Dialect>> = { postgres: postgresDialect, sqlite: sqliteDialect }

/** The dialect of a server or database URL, or E_CONFIG naming what is served. */
export function dialectFor(url: string): Dialect {
  const name = dialectOf(url)
  const dialect = name && DIALECTS[name]
  if (!dialect) {
    throw new WorkerDbError('E_CONFIG', `workerdb cannot serve a database of this URL's kind (${name ?? 'unknown scheme'})`,
      'Use postgresql://…, mysql://… (MariaDB too) or file:/path/to/dir (SQLite).')
  }
  return dialect
}

/** An admin session on the server `url` names, of its kind. */
export function connectAdmin(url: string, source?: string): Promise<AdminSession> {
  return dialectFor(url).connect(url, source)
}
