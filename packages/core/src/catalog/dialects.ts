/** Every database kind workerdb serves, picked by a URL's scheme: the one place that lists them. */
import { WorkerDbError } from '../errors.js'
import { dialectOf, type AdminSession, type Dialect, type DialectName } from './dialect.js'
import { mysqlDialect } from './mysql/index.js'
import { postgresDialect } from './postgres/index.js'
import { sqliteDialect } from './sqlite/index.js'

const DIALECTS: Record<DialectName, Dialect> = { postgres: postgresDialect, mysql: mysqlDialect, sqlite: sqliteDialect }

/** The dialect of a server or database URL, or E_CONFIG naming the schemes there are. */
export function dialectFor(url: string): Dialect {
  const name = dialectOf(url)
  if (!name) {
    throw new WorkerDbError('E_CONFIG', 'not a URL of a database kind workerdb serves',
      'Use postgresql://…, mysql://… (MariaDB too) or file:/path/to/dir (SQLite).')
  }
  return DIALECTS[name]
}

/** An admin session on the server `url` names, of its kind. */
export function connectAdmin(url: string, source?: string): Promise<AdminSession> {
  return dialectFor(url).connect(url, source)
}
