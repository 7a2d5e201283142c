/**
 * MySQL/MariaDB connections: the URL read into driver options, the driver (mysql2, which users install
 * themselves) loaded on first connect, the classic failures turned into errors that name the fix, and
 * the quoting the rest of catalog/mysql/ builds statements with. Passwords never leave this module.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { WorkerDbError } from '../../errors.js'
import { redactText, redactUrl } from '../../url.js'

/** What catalog/mysql/ uses of a mysql2 promise connection; nothing of it reaches callers. */
export interface Conn {
  /** The server's id of this session (KILL QUERY takes it). */
  readonly threadId?: number | null
  query(sql: string, values?: unknown[]): Promise<[unknown, unknown]>
  end(): Promise<void>
  destroy(): void
  on(event: 'error', listener: (err: Error) => void): unknown
}

interface Driver {
  createConnection(options: Record<string, unknown>): Promise<Conn>
}

/** Driver options for one URL (no password in anything printed: see `where`). */
export interface ConnectOptions {
  host: string
  port: number
  user: string
  password: string
  /** The URL's database, the user's: never listed, never dropped. Undefined: none (admin work needs none). */
  database?: string
  socketPath?: string
  ssl?: Record<string, unknown>
  /** `?allowPublicKeyRetrieval=true`: MySQL's caching_sha2_password may send the server's key over plain TCP. */
  allowPublicKeyRetrieval?: boolean
}

const SCHEMES = new Set(['mysql:', 'mariadb:'])

/** Pure: a mysql:// or mariadb:// URL as driver options. */
export function parseMysqlUrl(url: string): ConnectOptions {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new WorkerDbError('E_CONFIG', `cannot read the server URL ${redactUrl(url)}`,
      'Write it as mysql://user:password@host:3306/ (percent-encode special characters in the password).')
  }
  if (!SCHEMES.has(u.protocol)) {
    throw new WorkerDbError('E_CONFIG', `${redactUrl(url)} is not a MySQL/MariaDB URL`, 'Use mysql://… or mariadb://….')
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
  const socketPath = u.searchParams.get('socket') ?? u.searchParams.get('socketPath') ?? undefined
  const ssl = u.searchParams.get('ssl')
  const keyRetrieval = u.searchParams.get('allowPublicKeyRetrieval')
  return {
    // IPv6 hosts come bracketed from URL ("[::1]"); the driver wants them bare.
    host: decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    ...(database ? { database } : {}),
    ...(socketPath ? { socketPath } : {}),
    ...(ssl && ssl !== 'false' && ssl !== '0' ? { ssl: ssl === 'insecure' ? { rejectUnauthorized: false } : {} } : {}),
    ...(keyRetrieval === 'true' || keyRetrieval === '1' ? { allowPublicKeyRetrieval: true } : {}),
  }
}

/** Pure: the URL of database `name` on the server `url` names: same scheme, credentials and query. */
export function mysqlDatabaseUrl(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = '/' + encodeURIComponent(name)
  return u.toString()
}

let loading: Promise<Driver> | undefined

/**
 * mysql2's promise API, loaded on first connect: workerdb does not depend on it. Looked up from this
 * package first, then from the project (a strict pnpm layout hides the project's packages from ours).
 */
export function loadMysqlDriver(): Promise<Driver> {
  loading ??= Promise.resolve().then(() => {
    for (const from of [import.meta.url, join(process.cwd(), 'workerdb.js')]) {
      try {
        return createRequire(from)('mysql2/promise') as Driver
      } catch (err) {
        if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err
      }
    }
    throw new WorkerDbError('E_CONFIG', 'a MySQL/MariaDB server URL needs the mysql2 driver, and it is not installed',
      'npm install -D mysql2')
  })
  // A failed load is tried again next time: the user may install the driver while watch mode runs.
  loading.catch(() => { loading = undefined })
  return loading
}

/** Opens one connection. `source`: where the URL came from, for the error. */
export async function openConnection(url: string, opts: ConnectOptions, source: string): Promise<Conn> {
  const driver = await loadMysqlDriver()
  try {
    const conn = await driver.createConnection({
      host: opts.host,
      port: opts.port,
      user: opts.user,
      password: opts.password,
      database: opts.database,
      socketPath: opts.socketPath,
      ssl: opts.ssl,
      allowPublicKeyRetrieval: opts.allowPublicKeyRetrieval,
      multipleStatements: true,
      connectTimeout: 10_000,
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
    })
    // A server that goes away, or a KILL from another session, emits 'error' on an idle connection;
    // unhandled, that would crash the test runner. Queries on it still reject normally.
    conn.on('error', () => {})
    return conn
  } catch (err) {
    throw connectionError(err, url, opts, source)
  }
}

export function connectionError(err: unknown, url: string, opts: ConnectOptions, source: string): WorkerDbError {
  const e = err as { code?: string; errno?: number; message?: string; sqlState?: string }
  const where = `${redactUrl(url)} (from ${source})`
  const detail = redact(e?.message ?? String(err), opts.password)
  const cause = { cause: redactedError(err, opts.password) }
  // 1045: wrong password; 1698: no such user (MariaDB, or one that must log in another way); both SQLSTATE 28000.
  if (e?.errno === 1045 || e?.errno === 1698 || e?.sqlState === '28000') {
    return new WorkerDbError('E_AUTH', `the server at ${where} refused the credentials: ${detail}`,
      'Check the user and password in the URL (WORKERDB_URL or `server.url`), and that the account may connect from this host.', cause)
  }
  // MySQL's caching_sha2_password, not yet cached for the account, wants TLS or the server's key over plain TCP.
  if (e?.code === 'PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED') {
    return new WorkerDbError('E_AUTH', `the server at ${where} wants the password sent over TLS or encrypted with its key: ${detail}`,
      'Add ?ssl=true to the URL (?ssl=insecure for the self-signed certificate MySQL makes itself), or ?allowPublicKeyRetrieval=true on a network you trust.', cause)
  }
  if (e?.errno === 1044 || e?.code === 'ER_DBACCESS_DENIED_ERROR') {
    return new WorkerDbError('E_AUTH', `the server at ${where} refused access to the database in the URL: ${detail}`,
      'Name a database the user may use in the URL, or none (mysql://user@host:3306/): admin work needs no database.', cause)
  }
  if (e?.errno === 1049 || e?.code === 'ER_BAD_DB_ERROR') {
    return new WorkerDbError('E_SERVER_UNREACHABLE', `the database named in ${where} does not exist: ${detail}`,
      'Name an existing database in the URL, or none (mysql://user@host:3306/): admin work needs no database.', cause)
  }
  return new WorkerDbError('E_SERVER_UNREACHABLE', `cannot reach MySQL/MariaDB at ${where}: ${detail || e?.code || 'no answer'}`,
    'Start the server, or set WORKERDB_URL (or `server: { url }` in workerdb.config.ts) to a reachable one.', cause)
}

/** Free text (a server error, a statement) with any password-bearing URL and the password itself hidden. */
export function redact(text: string, password?: string): string {
  return redactText(text, [password]).replace(/((?:mysql|mariadb):\/\/[^:/@\s]*:)\S*@/g, '$1***@')
}

/**
 * A failed statement's error as a WorkerDbError's cause: `detail` (its message, redacted) and its error
 * numbers. Never the driver's error itself: its `sql` holds what it ran (a batch of a copy's statements,
 * a password in a CREATE USER), and test runners print a cause in full.
 */
export function statementCause(err: unknown, detail: string): Error & { code?: string; errno?: number } {
  const e = err as { errno?: number; code?: string }
  return Object.assign(new Error(detail), { code: e?.code, errno: e?.errno })
}

/** An error fit to be a cause: the driver's, unless its text shows the password. */
function redactedError(err: unknown, password: string): unknown {
  const e = err as { message?: string; stack?: string }
  if (!password || password.length < 3 || !(`${e?.message}${e?.stack}`.includes(password))) return err
  const copy = new Error(redact(e.message ?? String(err), password)) as Error & { code?: string; errno?: number }
  copy.stack = redact(e.stack ?? '', password)
  copy.code = (err as { code?: string }).code
  copy.errno = (err as { errno?: number }).errno
  return copy
}

/** Quotes an identifier: always backticks, so nothing is injected. */
export function ident(name: string): string {
  if (name.includes('\0')) throw new WorkerDbError('E_CONFIG', 'identifier contains a NUL byte', 'Remove it.')
  return '`' + name.replace(/`/g, '``') + '`'
}

/** Quotes a string literal. Sessions run with a sql_mode of our choosing (no NO_BACKSLASH_ESCAPES), so backslashes escape. */
export function lit(value: string): string {
  return "'" + value.replace(/\\/g, '\\\\').replace(/\0/g, '\\0').replace(/'/g, "''") + "'"
}

/** The rows of a single SELECT. */
export async function rows<T = Record<string, unknown>>(conn: Conn, sql: string, values?: unknown[]): Promise<T[]> {
  const [result] = await conn.query(sql, values)
  return result as T[]
}

/** Runs statements in one round trip; their results in order (rows for a SELECT, an OK packet for the rest). */
export async function batch(conn: Conn, statements: readonly string[]): Promise<unknown[]> {
  if (statements.length === 0) return []
  const [result] = await conn.query(statements.join(';\n'))
  return statements.length === 1 ? [result] : result as unknown[]
}
