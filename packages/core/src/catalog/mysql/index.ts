/**
 * The MySQL/MariaDB kind (mysql:// and mariadb:// URLs), on the mysql2 driver the user installs: MariaDB
 * ≥ 10.5 and MySQL ≥ 8.0. Markers live in the database comment on MariaDB and in a marker procedure on
 * MySQL, which has no database comment (marks.ts). There is no server-side "sealed" flag and no way to
 * refuse connections to one database: a template is sealed by its marker ('ready') and by ending the
 * sessions on it. Copies replay the template's definitions and rows (copy.ts), spares are moved table by
 * table (spares.ts); locks are GET_LOCK names (lock.ts).
 */
import { DIALECT_LABELS, type AdminSession, type CopyPlan, type DatabaseRow, type Dialect, type RoleSupport, type ScriptRunner, type ServerFacts, type SpareSupport } from '../dialect.js'
import { WorkerDbError } from '../../errors.js'
import type { AdvisoryLock, LockMode } from '../locks.js'
import { parseMarker, type Marker } from '../marker.js'
import { copyDatabase, sessionSettings, type CopyContext } from './copy.js'
import { lockMysql, tryLockMysql, unlockMysql, type HeldSlots } from './lock.js'
import { createStatements, markersQuery, markStatement, type MarkHome } from './marks.js'
import { readMysqlResetCatalog } from './reset.js'
import { checkMysqlRoles, createMysqlRoles, dropUsersOf, type RoleContext } from './roles.js'
import { makeSpare, takeSpare } from './spares.js'
import {
  batch, connectionError, ident, lit, mysqlDatabaseUrl, openConnection, parseMysqlUrl, rows, type Conn, type ConnectOptions,
} from './session.js'
import { templateComment, templateDefs } from './template-defs.js'

export { parseMysqlUrl, mysqlDatabaseUrl } from './session.js'

/**
 * Copies at once: no cap below the engine's own (8). A copy is the server's CPU (rows through the
 * B-trees) and its disk (each CREATE TABLE's files, each page a small table grows by), and more sessions
 * overlap the two (docs/how-it-works.md, measured choices, has the figures).
 */
export const MYSQL_COPY_LANES = 8

/** Sessions one copy's steps may be shared over, when the run's lanes leave them free (copy.ts). */
export const MYSQL_COPY_SESSIONS = 3

/** ER_CANNOT_USER_REFERENCED_AS_DEFINER (MySQL ≥ 8.0.22): DROP USER of a user some object names as its DEFINER. */
const USER_IS_DEFINER = 4006

/** How long seal and drop wait for the sessions they ended to be gone. */
const KILL_WAIT_MS = 5_000

/** Pure: "MariaDB 10.11" / "MySQL 8.0", the major and minor version, and which of the two, from VERSION(). */
export function productOf(version: string): { product: string; major: number; minor: number; mariadb: boolean } {
  const [, major = '0', minor = '0'] = /^(\d+)\.(\d+)/.exec(version) ?? []
  const mariadb = /mariadb/i.test(version)
  return { product: `${mariadb ? 'MariaDB' : 'MySQL'} ${major}.${minor}`, major: Number(major), minor: Number(minor), mariadb }
}

/** What a server of this kind does its own way, read once at connect. */
export interface Flavour {
  mariadb: boolean
  /** Where markers live (marks.ts). */
  home: MarkHome
}

/**
 * Pure: the flavour of a server from VERSION(), or E_CONFIG for one workerdb does not serve: MariaDB
 * before 10.5 (no database comment, and out of support) and MySQL before 8.0 (no atomic DDL).
 */
export function flavourOf(version: string): Flavour {
  const { product, major, minor, mariadb } = productOf(version)
  if (mariadb ? major * 100 + minor < 1005 : major < 8) {
    throw new WorkerDbError('E_CONFIG', `${product} is not supported; MariaDB ≥ 10.5 and MySQL ≥ 8.0 are`,
      'Point the URL at a newer server.')
  }
  return { mariadb, home: mariadb ? 'comment' : 'routine' }
}

/**
 * Pure: whether SHOW GRANTS lets the user create databases. True for ALL PRIVILEGES or CREATE on *.*;
 * false only when no grant could (no CREATE or ALL anywhere, no role); true when unsure (a grant on a
 * database pattern, a role), and CREATE DATABASE then says E_NO_CREATEDB itself.
 */
export function grantsAllowCreate(grants: string[]): boolean {
  let unsure = false
  for (const line of grants) {
    const m = /^GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\s/i.exec(line)
    if (!m) {
      if (/^GRANT\s/i.test(line)) unsure = true // a role granted: its privileges are not listed here
      continue
    }
    const privileges = m[1]!.replace(/\([^)]*\)/g, '')
    const can = /\bALL(\s+PRIVILEGES)?\b/i.test(privileges) || /\bCREATE\b(?!\s+(VIEW|ROUTINE|TEMPORARY|USER|TABLESPACE|ROLE))/i.test(privileges)
    if (can && m[2] === '*.*') return true
    if (can) unsure = true
  }
  return unsure
}

class MysqlSession implements AdminSession {
  readonly dialect = 'mysql' as const
  /** The reader slots this session holds (lock.ts). */
  private readonly held: HeldSlots = new Map()

  constructor(
    private readonly conn: Conn,
    private readonly opts: ConnectOptions,
    private readonly url: string,
    private readonly source: string,
    private readonly flavour: Flavour,
  ) {}

  private get server(): string {
    return this.opts.socketPath ?? `${this.opts.host}:${this.opts.port}`
  }

  async facts(): Promise<ServerFacts> {
    const [info, status, grants] = await batch(this.conn, [
      'SELECT VERSION() AS version, CURRENT_USER() AS user, @@GLOBAL.innodb_flush_log_at_trx_commit AS flush, @@GLOBAL.max_connections AS max',
      "SHOW GLOBAL STATUS LIKE 'Threads_connected'",
      'SHOW GRANTS',
    ]) as Array<Array<Record<string, unknown>>>
    const r = info![0]!
    const { product, major } = productOf(String(r.version))
    return {
      product,
      major,
      user: String(r.user),
      durable: Number(r.flush) === 1,
      canCreate: grantsAllowCreate(grants!.map((g) => String(Object.values(g)[0]))),
      // The one connection past max_connections is for SUPER users only: everyone else gets max_connections.
      connections: { max: Number(r.max), reserved: 0, inUse: Number(status![0]?.Value ?? 0) },
    }
  }

  async list(prefix: string): Promise<DatabaseRow[]> {
    const start = `${prefix}_`
    // LEFT(…) =, not LIKE: `_` is a LIKE wildcard. The collation is case-insensitive, so startsWith decides.
    const found = await rows<{ name: string; comment: string | null }>(this.conn,
      markersQuery(this.flavour.home, 'LEFT(s.SCHEMA_NAME, ?) = ?'), [start.length, start])
    return found
      // The database named in the URL is the user's, whatever its name or comment says.
      .filter((r) => r.name.startsWith(start) && r.name !== this.opts.database)
      .map((r) => {
        const comment = r.comment ? r.comment : null
        const marker = parseMarker(comment)
        return { name: r.name, isTemplate: marker?.kind === 'template' && marker.state === 'ready', comment }
      })
  }

  async sessions(prefix: string): Promise<Map<string, number>> {
    const start = `${prefix}_`
    // Without the PROCESS privilege the list holds this user's sessions only.
    const found = await rows<{ db: string; n: number | string }>(this.conn,
      'SELECT DB AS db, COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE LEFT(DB, ?) = ? AND ID <> CONNECTION_ID() GROUP BY DB',
      [start.length, start])
    return new Map(found.filter((r) => r.db.startsWith(start)).map((r) => [r.db, Number(r.n)]))
  }

  async size(name: string): Promise<number> {
    const [r] = await rows<{ n: string | number }>(this.conn,
      'SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name])
    return Number(r?.n ?? 0)
  }

  async create(name: string, marker: Marker): Promise<void> {
    const made = createStatements(this.flavour.home, name, '', marker)
    try {
      await this.conn.query(made.create)
    } catch (err) {
      const e = err as { errno?: number; message?: string }
      if (e.errno === 1044 || e.errno === 1142) {
        throw new WorkerDbError('E_NO_CREATEDB', `user ${this.opts.user || '(none)'} cannot create database ${name}: ${e.message}`,
          'Grant it: GRANT ALL ON `<prefix>\\_%`.* TO … (or connect as a user with CREATE on *.*).', { cause: err })
      }
      throw err
    }
    if (made.mark) {
      try {
        await this.conn.query(made.mark)
      } catch (err) {
        await this.conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`).catch(() => {})
        throw err
      }
    }
  }

  async mark(name: string, marker: Marker): Promise<void> {
    await this.conn.query(markStatement(this.flavour.home, name, marker))
  }

  /** No server flag refuses new sessions to one database: sealing ends the sessions on it. */
  async seal(name: string): Promise<void> {
    await this.endSessionsOn(name)
  }

  async copyPlan(template: string, _requested?: string): Promise<CopyPlan> {
    const marker = await templateComment(this.conn, this.flavour.home, template)
    if (marker === undefined) {
      throw new WorkerDbError('E_CLONE', `cannot copy template ${template}: there is no such database`,
        'Something dropped the template while this run used it; run again to build it anew.')
    }
    await templateDefs(this.conn, this.flavour.home, this.server, template, marker)
    return { label: 'table copy', maxLanes: MYSQL_COPY_LANES, sessionsPerCopy: MYSQL_COPY_SESSIONS }
  }

  async copy(template: string, name: string, plan: CopyPlan, marker?: Marker): Promise<void> {
    await copyDatabase(this.copyContext(plan.sessionsPerCopy ?? 1, marker), template, name)
  }

  readonly spares: SpareSupport = {
    // One session: spares are made beside the tests, and should not compete with them.
    make: (template, name, _plan, marker) => makeSpare(this.copyContext(1), template, name, (m) => this.mark(name, m), marker),
    take: (template, spare, name, marker) => takeSpare(this.copyContext(1), template, spare, name, marker),
    cancel: async () => {
      const id = this.conn.threadId
      if (id === undefined || id === null) return
      const other = await openConnection(this.url, this.opts, this.source).catch(() => undefined)
      await other?.query(`KILL QUERY ${Number(id)}`).catch(() => {})
      await other?.end().catch(() => other.destroy())
    },
  }

  readonly roles: RoleSupport = {
    check: async (specs, opts) => checkMysqlRoles(await this.roleContext(), specs, opts),
    // One session: a user and its grants are a few statements, and roles are few.
    create: async (clones, specs) => createMysqlRoles(await this.roleContext(), clones, specs),
  }

  private async roleContext(): Promise<RoleContext> {
    const [r] = await rows<{ user: string }>(this.conn, 'SELECT CURRENT_USER() AS user')
    return { conn: this.conn, mariadb: this.flavour.mariadb, home: this.flavour.home, user: String(r?.user), password: this.opts.password }
  }

  private copyContext(sessions: number, marker?: Marker): CopyContext {
    return {
      conn: this.conn,
      markHome: this.flavour.home,
      marker,
      settings: sessionSettings(this.flavour.mariadb),
      // copy.ts says what each way is, and what was measured on each server.
      statistics: this.flavour.mariadb ? 'background' : 'analyze',
      fill: this.flavour.mariadb ? 'create-select' : 'insert-select',
      createLocksJoins: !this.flavour.mariadb,
      server: this.server,
      home: this.opts.database,
      password: this.opts.password,
      reopen: () => openConnection(this.url, this.opts, this.source),
      sessions,
    }
  }

  /**
   * A clone's per-worker users first (its marker lists them, roles.ts), so that no crash leaves them
   * behind their clone; after it when MySQL refuses to drop a user that is the DEFINER of a view, trigger
   * or routine in the clone (a test made one as that user), since those go with the database.
   */
  async drop(name: string, _opts?: { template?: boolean }): Promise<void> {
    await this.endSessionsOn(name)
    const [row] = await rows<{ comment: string | null }>(this.conn, markersQuery(this.flavour.home, 's.SCHEMA_NAME = ?'), [name])
    const definers = row ? await dropUsersOf(this.conn, name, row.comment).then(() => false, (err) => {
      if ((err as { errno?: number }).errno === USER_IS_DEFINER) return true
      throw err
    }) : false
    await this.conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`)
    if (definers) await dropUsersOf(this.conn, name, row!.comment)
  }

  async dropTemplateIfIdle(name: string): Promise<boolean> {
    const [r] = await rows<{ n: number | string }>(this.conn,
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [name])
    if (Number(r?.n) > 0) return false
    try {
      // A session inside a transaction on it holds its tables' metadata locks: give up rather than wait.
      // DROP DATABASE takes every table's lock before it drops any, so giving up leaves it whole.
      await batch(this.conn, ['SET @wdb_wait = @@SESSION.lock_wait_timeout, SESSION lock_wait_timeout = 2', `DROP DATABASE IF EXISTS ${ident(name)}`])
      return true
    } catch {
      return false
    } finally {
      await this.conn.query('SET SESSION lock_wait_timeout = @wdb_wait').catch(() => {})
    }
  }

  lock(l: AdvisoryLock, mode?: LockMode): Promise<void> {
    return lockMysql(this.conn, this.held, l, mode)
  }

  tryLock(l: AdvisoryLock): Promise<boolean> {
    return tryLockMysql(this.conn, l)
  }

  unlock(l: AdvisoryLock, mode?: LockMode): Promise<void> {
    return unlockMysql(this.conn, this.held, l, mode)
  }

  async close(): Promise<void> {
    const ended = this.conn.end().then(() => true, () => false)
    const late = new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref())
    if (!(await Promise.race([ended, late]))) {
      try {
        this.conn.destroy()
      } catch {
        // Gone already.
      }
    }
  }

  /** KILLs every other session whose database is `name`, and waits (a little) until they are gone. */
  private async endSessionsOn(name: string): Promise<void> {
    const sessions = () => rows<{ id: number | string }>(this.conn,
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [name])
    const ids = (await sessions()).map((r) => Number(r.id))
    if (!ids.length) return
    // One by one: a statement that fails (gone already, 1094; another user's, 1095) stops a batch.
    for (const id of ids) await this.conn.query(`KILL CONNECTION ${id}`).catch(() => {})
    const until = Date.now() + KILL_WAIT_MS
    while (Date.now() < until && (await sessions()).some((r) => ids.includes(Number(r.id)))) {
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
}

async function connectMysql(url: string, source = 'the configured URL'): Promise<AdminSession> {
  const opts = parseMysqlUrl(url)
  const conn = await openConnection(url, opts, source)
  try {
    const [r] = await rows<{ v: string }>(conn, 'SELECT VERSION() AS v')
    const flavour = flavourOf(r!.v)
    await conn.query(sessionSettings(flavour.mariadb))
    return new MysqlSession(conn, opts, url, source, flavour)
  } catch (err) {
    await conn.end().catch(() => conn.destroy())
    throw err instanceof WorkerDbError ? err : connectionError(err, url, opts, source)
  }
}

/** Migration scripts on one database, under the server's own sql_mode (the one the application gets). */
async function openScripts(url: string): Promise<ScriptRunner> {
  const opts = parseMysqlUrl(url)
  const conn = await openConnection(url, opts, 'the template URL')
  return {
    async run(sql) {
      try {
        // DDL commits as it runs; the rest of a script is all or nothing.
        await conn.query('BEGIN')
        for (const part of scriptStatements(sql)) await conn.query(part)
        await conn.query('COMMIT')
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => {})
        throw err
      }
    },
    async close() {
      await conn.end().catch(() => conn.destroy())
    },
  }
}

/**
 * Pure: a script as the server takes it, in multi-statement pieces. The server finds statement ends
 * itself (BEGIN … END bodies included); only the mysql client's `DELIMITER` lines need undoing: each
 * statement ended by a custom delimiter is a piece of its own, without it.
 */
export function scriptStatements(sql: string): string[] {
  const pieces: string[] = []
  let delimiter = ';'
  let chunk: string[] = []
  const flush = () => {
    const text = chunk.join('\n').trim()
    if (text) pieces.push(text)
    chunk = []
  }
  for (const line of sql.split(/\r?\n/)) {
    const d = /^\s*DELIMITER\s+(\S+)\s*$/i.exec(line)
    if (d) {
      flush()
      delimiter = d[1]!
      continue
    }
    if (delimiter !== ';' && line.trimEnd().endsWith(delimiter)) {
      chunk.push(line.trimEnd().slice(0, -delimiter.length))
      flush()
      continue
    }
    chunk.push(line)
  }
  flush()
  return pieces
}

/** Pure: `user@host` (CURRENT_USER()) as an account in a GRANT. */
export function account(user: string): string {
  const at = user.lastIndexOf('@')
  return at < 0 ? lit(user) : `${lit(user.slice(0, at))}@${lit(user.slice(at + 1))}`
}

export const mysqlDialect: Dialect = {
  name: 'mysql',
  label: DIALECT_LABELS.mysql,
  adminUrl: (url) => url,
  databaseUrl: (adminUrl, name) => mysqlDatabaseUrl(adminUrl, name),
  connect: connectMysql,
  openScripts,
  async readResetCatalog(url) {
    const conn = await openConnection(url, parseMysqlUrl(url), 'the first clone')
    try {
      return await readMysqlResetCatalog(conn)
    } finally {
      await conn.end().catch(() => conn.destroy())
    }
  },
  dropByHand: (name) => `DROP DATABASE ${ident(name)};`,
  // PROCESS and CONNECTION ADMIN: to see and end other sessions on a template or a clone (seal, drop, the sweep).
  grantCreate: (user) => `GRANT ALL PRIVILEGES ON \`wdb\\_%\`.* TO ${account(user)}; GRANT PROCESS, CONNECTION ADMIN ON *.* TO ${account(user)}; ` +
    '(with your `prefix` in place of wdb)',
}
