/**
 * PostgreSQL behind the dialect seam: templates are real templates (`CREATE DATABASE … TEMPLATE`), markers
 * are database comments, locks are advisory locks, spares are renamed (spares.ts), per-worker roles are
 * roles (roles.ts). The PostgreSQL-only features (session counts, the roles' sweep) reach the client
 * through `pgClientOf`.
 */
import { WorkerDbError } from '../../errors.js'
import { redactText } from '../../url.js'
import { withDatabase } from '../../url.js'
import { DIALECT_LABELS, type AdminSession, type CopyPlan, type Dialect, type RoleSupport, type ServerFacts, type SpareSupport } from '../dialect.js'
import { connect, listDatabases, loadDriver, serverInfo, type Client, type ServerInfo } from './db.js'
import type { AdvisoryLock, LockMode } from '../locks.js'
import { lock, tryLock, unlock } from './locks.js'
import type { Marker } from '../marker.js'
import { markDatabase } from './marks.js'
import { readPostgresResetCatalog } from './reset.js'
import { checkRoles, createRoles } from './roles.js'
import { postgresSpares } from './spares.js'
import { quoteIdent } from '../names.js'
import { chooseStrategy, type CloneStrategy } from './strategy.js'

export class PostgresSession implements AdminSession {
  readonly dialect = 'postgres' as const
  private info: ServerInfo | undefined
  private database: string | undefined
  readonly spares: SpareSupport

  readonly roles: RoleSupport = {
    check: async (specs) => checkRoles(this.client, await this.serverInfo(), specs),
    create: async (clones, specs, opts) => createRoles({
      adminUrl: this.url, clones, specs, runId: opts.runId, marker: opts.marker, concurrency: opts.concurrency, first: this.client,
      major: (await this.serverInfo()).major,
    }),
  }

  /** `url`: the server this session is on, for other sessions (spares' cancel, roles' grants). */
  constructor(readonly client: Client, private readonly url: string) {
    this.spares = postgresSpares(client, url)
  }

  /** PostgreSQL's own facts (versionNum, fsync, roles…), read once per session. */
  async serverInfo(): Promise<ServerInfo> {
    this.info ??= await serverInfo(this.client)
    return this.info
  }

  async facts(): Promise<ServerFacts> {
    const info = await this.serverInfo()
    const { rows } = await this.client.query("select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'")
    return {
      product: `PostgreSQL ${info.major}`, major: info.major, user: info.user, durable: info.fsync, canCreate: info.canCreateDb,
      connections: { max: info.maxConnections, reserved: info.superuser ? 0 : info.reservedConnections, inUse: rows[0]?.n ?? 0 },
    }
  }

  async list(prefix: string) {
    this.database ??= (await this.client.query('select current_database() as db')).rows[0].db as string
    return (await listDatabases(this.client, prefix)).filter((r) => r.name !== this.database)
  }

  async sessions(prefix: string): Promise<Map<string, number>> {
    const { rows } = await this.client.query(
      'select datname, count(*)::int as n from pg_stat_activity where starts_with(datname, $1) and pid <> pg_backend_pid() group by datname', [`${prefix}_`])
    return new Map(rows.map((r) => [r.datname as string, r.n as number]))
  }

  async size(name: string): Promise<number> {
    const { rows } = await this.client.query('select pg_database_size(datname)::text as size from pg_database where datname = $1', [name])
    return Number(rows[0]?.size ?? 0)
  }

  /** Two statements: PostgreSQL has no comment clause in CREATE DATABASE (see db.ts's connect for a kill between them). */
  async create(name: string, marker: Marker): Promise<void> {
    await this.client.query(`create database ${quoteIdent(name)}`)
    await this.mark(name, marker)
  }

  async mark(name: string, marker: Marker): Promise<void> {
    await markDatabase(this.client, name, marker)
  }

  /**
   * Cloning waits ~5 s and then fails while anyone is connected to the template ("source database is
   * being accessed by other users"): refuse new connections first, then end the stragglers a migration
   * tool may have left open.
   */
  async seal(name: string): Promise<void> {
    await this.client.query(`alter database ${quoteIdent(name)} with is_template true allow_connections false`)
    await this.client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name])
  }

  async copyPlan(template: string, requested?: string): Promise<CopyPlan> {
    const label = chooseStrategy(await this.serverInfo(), await this.size(template), requested as CloneStrategy | undefined)
    return label ? { label } : {}
  }

  /** CREATE DATABASE takes no comment: the marker follows (see db.ts's connect for a kill between the two). */
  async copy(template: string, name: string, plan: CopyPlan, marker?: Marker): Promise<void> {
    try {
      await this.client.query(`create database ${quoteIdent(name)} template ${quoteIdent(template)}${plan.label ? ` strategy ${plan.label}` : ''}`)
    } catch (err) {
      throw cloneError(err, name, template)
    }
    if (marker) await this.mark(name, marker)
  }

  /**
   * WITH (FORCE): test workers may not have fully exited. Clones are never unmarked first, and must not be:
   * a database another session is dropping right now is invalid until that ends, and ALTER DATABASE on an
   * invalid database is FATAL, ending this session and every drop still queued on it.
   */
  async drop(name: string, opts: { template?: boolean } = {}): Promise<void> {
    if (opts.template) await this.client.query(`alter database ${quoteIdent(name)} with is_template false`).catch(() => {})
    await this.client.query(`drop database if exists ${quoteIdent(name)} with (force)`)
  }

  async dropTemplateIfIdle(name: string): Promise<boolean> {
    const { rows: [{ n }] } = await this.client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name])
    if (n > 0) return false
    await this.client.query(`alter database ${quoteIdent(name)} with is_template false`)
    try {
      await this.client.query(`drop database if exists ${quoteIdent(name)}`)
    } catch {
      // Someone started using it after all (a watch-mode run growing without the lock): leave it as it was.
      await this.client.query(`alter database ${quoteIdent(name)} with is_template true`).catch(() => {})
      return false
    }
    return true
  }

  lock(l: AdvisoryLock, mode?: LockMode): Promise<void> {
    return lock(this.client, l, mode)
  }

  tryLock(l: AdvisoryLock): Promise<boolean> {
    return tryLock(this.client, l)
  }

  unlock(l: AdvisoryLock, mode?: LockMode): Promise<void> {
    return unlock(this.client, l, mode)
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {})
  }
}

function cloneError(err: unknown, name: string, template: string): WorkerDbError {
  const e = err as { code?: string; message?: string }
  if (e.code === '42501') {
    return new WorkerDbError('E_NO_CREATEDB', `permission denied to create clone ${name}: ${e.message}`,
      'The role needs CREATEDB (ALTER ROLE … CREATEDB) to copy the template.', { cause: err })
  }
  if (e.code === '55006') {
    return new WorkerDbError('E_CLONE', `cannot clone ${template}: ${e.message}`,
      'Something is connected to the template; close that session (workerdb seals templates against new connections).', { cause: err })
  }
  return new WorkerDbError('E_CLONE', `creating clone ${name} failed: ${redactText(e.message ?? String(err))}`,
    'Check the server log; `npx workerdb doctor` checks the usual causes.', { cause: err })
}

/** The node-postgres client under a PostgreSQL session, for the features only PostgreSQL has; undefined for other kinds. */
export function pgClientOf(session: AdminSession): Client | undefined {
  return session instanceof PostgresSession ? session.client : undefined
}

export const postgresDialect: Dialect = {
  name: 'postgres',
  label: DIALECT_LABELS.postgres,
  adminUrl(url) {
    const parsed = new URL(url)
    // Without a database in the URL, admin work goes through the maintenance database every server has.
    if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = '/postgres'
    return parsed.toString()
  },
  databaseUrl: withDatabase,
  async connect(url, source) {
    return new PostgresSession(await connect(url, source), url)
  },
  async readResetCatalog(url) {
    // db.ts's connect: the unused-clones check counts this session as the run's own, not a test's.
    const client = await connect(url, 'the first clone')
    try {
      return await readPostgresResetCatalog(client)
    } finally {
      await client.end().catch(() => {})
    }
  },
  async openScripts(url) {
    const client = new (await loadDriver()).Client({ connectionString: url })
    client.on('error', () => {})
    await client.connect()
    return {
      async run(sql) {
        try {
          await client.query('begin')
          await client.query(sql)
          await client.query('commit')
        } catch (err) {
          await client.query('rollback').catch(() => {})
          throw err
        }
      },
      async close() {
        await client.end().catch(() => {})
      },
    }
  },
  dropByHand(name) {
    return `DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`
  },
  grantCreate(user) {
    return `ALTER ROLE ${quoteIdent(user)} CREATEDB;`
  },
}
