/** An existing server, named by a URL. workerdb connects to the database in the URL only for admin work. */
import { dialectOf } from '../catalog/dialect.js'
import { dialectFor } from '../catalog/dialects.js'
import { WorkerDbError } from '../errors.js'
import { redactUrl } from '../url.js'
import { sqlitePath } from '../catalog/sqlite/url.js'
import type { ServerHandle } from './types.js'

const URL_FORMS = 'Use a URL like postgresql://user@127.0.0.1:5432/postgres, mysql://root@127.0.0.1:3306 or file:./.workerdb (SQLite), or remove it to let workerdb start its embedded PostgreSQL.'

/**
 * The URL of a server of a kind workerdb serves, or E_CONFIG saying what is wrong with it — up front, so
 * that a URL never reaches another kind's driver (which would talk to the wrong port and fail obscurely).
 */
export function parseServerUrl(url: string, source: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new WorkerDbError('E_CONFIG', `not a URL (from ${source}): ${redactUrl(url)}`, URL_FORMS)
  }
  if (!dialectOf(url)) {
    throw new WorkerDbError('E_CONFIG', `not a URL of a database kind workerdb serves (from ${source}): ${redactUrl(url)}`, URL_FORMS)
  }
  return parsed
}

export function urlServer(url: string, source: string): ServerHandle {
  parseServerUrl(url, source)
  const dialect = dialectFor(url)
  const adminUrl = dialect.adminUrl(url)
  return {
    kind: 'url',
    adminUrl,
    describe: dialect.name === 'sqlite' ? `directory ${sqlitePath(adminUrl)} (from ${source})` : `server ${redactUrl(adminUrl)} (from ${source})`,
    persistent: true,
    async stop() {},
  }
}
