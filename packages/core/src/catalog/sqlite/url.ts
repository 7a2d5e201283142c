/**
 * SQLite URLs, pure: the "server" is a directory and a database is the file `<dir>/<name>.db`. Workers import
 * this module for their env, so it must never load the driver (or anything else heavy).
 *
 * Accepted: `file:///abs/dir`, `file://localhost/abs/dir`, `file:/abs/dir`, `file:./rel/dir`, `file:rel/dir`,
 * and the same with `sqlite:`. A relative path is resolved against process.cwd() when it is read, so the
 * admin URL (always `file:///abs/dir/`) is what to hand to other processes. Percent-escapes are decoded
 * (`%20` is a space, a literal `%` is `%25`); `?…` and `#…` are not part of the path.
 */
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../../errors.js'

const SCHEME = /^(file|sqlite):/i

/** The absolute path a `file:`/`sqlite:` URL names: the directory for an admin URL, the file for a database URL. */
export function sqlitePath(url: string): string {
  const scheme = SCHEME.exec(url)
  if (!scheme) throw badUrl(url, 'it does not start with file: or sqlite:')
  let rest = url.slice(scheme[0].length).replace(/[?#].*$/s, '')
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    const host = rest.slice(2, slash < 0 ? undefined : slash)
    if (host !== '' && host.toLowerCase() !== 'localhost') throw badUrl(url, `it names a host (${host}); SQLite databases are local files`)
    rest = slash < 0 ? '/' : rest.slice(slash)
  }
  let path: string
  try {
    path = decodeURIComponent(rest)
  } catch {
    throw badUrl(url, 'it has a malformed %-escape')
  }
  if (path === '' || path.includes('\0')) throw badUrl(url, 'it names no directory')
  return resolve(path)
}

/** `file:///abs/dir/`: the one form of a directory's URL, whatever form it was given in. */
export function sqliteAdminUrl(url: string): string {
  const href = pathToFileURL(sqlitePath(url)).href
  return href.endsWith('/') ? href : `${href}/`
}

/** `file:///abs/dir/<name>.db`. */
export function sqliteDatabaseUrl(adminUrl: string, name: string): string {
  return pathToFileURL(databaseFile(sqlitePath(adminUrl), name)).href
}

/** `<dir>/<name>.db`; a name that is not a plain file name is refused (names are made by names.ts, but still). */
export function databaseFile(dir: string, name: string): string {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new WorkerDbError('E_CONFIG', `${JSON.stringify(name)} is not a usable SQLite database name`, 'Database names are plain file names.')
  }
  return join(dir, `${name}.db`)
}

function badUrl(url: string, why: string): WorkerDbError {
  return new WorkerDbError('E_CONFIG', `${JSON.stringify(url)} is not a SQLite directory URL: ${why}`,
    'Use file:/path/to/dir, file:///path/to/dir or file:./relative/dir (a directory; each database is a file in it).')
}
