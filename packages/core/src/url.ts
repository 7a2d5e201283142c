/**
 * Connection URLs of every kind, pure (workers load this): derive a database's URL from the server's, read
 * a URL's parts, and print them without passwords. A SQLite URL names a directory or a file, not a server.
 */
import { inspect } from 'node:util'
import { sqliteDatabaseUrl, sqlitePath } from './catalog/sqlite/url.js'

const isSqlite = (url: string) => /^(file|sqlite):/i.test(url)

export function withDatabase(serverUrl: string, database: string): string {
  if (isSqlite(serverUrl)) return sqliteDatabaseUrl(serverUrl, database)
  const u = new URL(serverUrl)
  u.pathname = '/' + encodeURIComponent(database)
  return u.toString()
}

/** The URL with any password replaced by `***`: the only form that may reach a log or an error. */
export function redactUrl(url: string): string {
  // A SQLite URL has no password, and URL parsing would turn a relative path (file:./dbs) into a root one.
  if (isSqlite(url)) return url
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    // Unparsable, e.g. a raw `@` or `/` in the password.
    return redactUserinfo(url)
  }
}

/**
 * Any scheme's `//user:password@`, password hidden up to the last `@` (so `p@ss` leaves nothing behind),
 * without parsing: the text around it stays as written (DOCKER_HOST=npipe:////./pipe/… keeps its `./`).
 */
export function redactUserinfo(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)\S*@/, '$1***@')
}

/** Replaces every password-bearing URL, and the given secrets, inside free text (server errors, tool output). */
export function redactText(text: string, secrets: Array<string | undefined> = []): string {
  // Secrets first, while a raw password (which may itself contain `@`) is still intact; then every URL's
  // password up to the last `@` before whitespace, so `p@ss` cannot leave `ss` behind.
  let out = text
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***')
  return out.replace(/((?:postgres(?:ql)?|mysql|mariadb):\/\/[^:/@\s]*:)\S*@/g, '$1***@')
}

/**
 * An error fit to attach as a WorkerDbError's `cause` (test runners print causes in full): the original when
 * nothing in it shows a password, else a copy whose message and stack are redacted, keeping name and code.
 */
export function redactedCause(err: unknown, secrets: Array<string | undefined> = []): unknown {
  const shown = inspect(err, { depth: 4 })
  if (redactText(shown, secrets) === shown) return err
  const e = (err ?? {}) as { name?: string; message?: string; stack?: string; code?: string }
  const copy = new Error(redactText(e.message ?? String(err), secrets)) as Error & { code?: string }
  copy.name = e.name ?? 'Error'
  copy.stack = redactText(e.stack ?? copy.stack ?? '', secrets)
  if (e.code !== undefined) copy.code = e.code
  return copy
}

export interface ConnectionParts {
  url: string
  host: string
  port: string
  user: string
  password: string
  database: string
}

/** Ports when a URL names none, by scheme. */
const DEFAULT_PORTS: Record<string, string> = { 'mysql:': '3306', 'mariadb:': '3306' }

/** A SQLite URL's database is its file's absolute path, and it has no host, port, user or password. */
export function connectionParts(url: string): ConnectionParts {
  if (isSqlite(url)) return { url, host: '', port: '', user: '', password: '', database: sqlitePath(url) }
  const u = new URL(url)
  return {
    url,
    // IPv6 hosts come bracketed from URL ("[::1]"); PGHOST and drivers want them bare.
    host: decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1'),
    port: u.port || DEFAULT_PORTS[u.protocol] || '5432',
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
  }
}
