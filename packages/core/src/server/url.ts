/** An existing server, named by a URL. workerdb connects to the database in the URL only for admin work. */
import { WorkerDbError } from '../errors.js'
import { redactUrl } from '../url.js'
import type { ServerHandle } from './types.js'

/** Database kinds a URL can name that workerdb does not serve yet, by scheme. */
const NOT_YET: Record<string, string> = { 'mysql:': 'MySQL/MariaDB', 'mariadb:': 'MySQL/MariaDB', 'sqlite:': 'SQLite', 'file:': 'SQLite' }

const USE_POSTGRES = 'Use a URL like postgresql://user@127.0.0.1:5432/postgres, or remove it to let workerdb start its embedded PostgreSQL.'

/**
 * The URL of a PostgreSQL server, or E_CONFIG saying what is wrong with it — up front, so that a URL of
 * another database kind never reaches the PostgreSQL driver (which would talk to a MySQL port and fail obscurely).
 */
export function parseServerUrl(url: string, source: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new WorkerDbError('E_CONFIG', `not a URL (from ${source}): ${redactUrl(url)}`, USE_POSTGRES)
  }
  const kind = NOT_YET[parsed.protocol]
  if (kind) {
    throw new WorkerDbError('E_CONFIG', `${kind} is not supported yet: workerdb serves PostgreSQL today (from ${source}: ${redactUrl(url)})`, USE_POSTGRES)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new WorkerDbError('E_CONFIG', `not a postgresql:// URL (from ${source}): ${redactUrl(url)}`, USE_POSTGRES)
  }
  return parsed
}

export function urlServer(url: string, source: string): ServerHandle {
  const parsed = parseServerUrl(url, source)
  // Without a database in the URL, admin work goes through the maintenance database every server has.
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/postgres'
  return {
    kind: 'url',
    adminUrl: parsed.toString(),
    describe: `server ${redactUrl(parsed.toString())} (from ${source})`,
    persistent: true,
    async stop() {},
  }
}
