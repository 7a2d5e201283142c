/**
 * Admin connections to the server, and the translation of driver errors into WorkerDbErrors that say
 * where workerdb looked and what to change. Passwords never leave this module unredacted.
 */
import { createRequire } from 'node:module'
import type pg from 'pg'
import { WorkerDbError } from '../../errors.js'
import { requirePg } from '../../require-pg.js'
import { redactText, redactUrl } from '../../url.js'
import type { DatabaseRow } from '../dialect.js'

export type Client = pg.Client

let loading: Promise<typeof pg> | undefined

/**
 * The driver, loaded on first use instead of when the package is imported: tools that only read a
 * vitest.config never need it. The Vitest plugin starts loading it as soon as Vitest runs, so that its
 * module loading (see require-pg.ts) happens before the pool's workers boot, not while they share the cores.
 */
export function loadDriver(): Promise<typeof pg> {
  loading ??= Promise.resolve().then(() => requirePg(createRequire(import.meta.url)))
  return loading
}

/** Where the driver is: workers that reset their database load this same one (see ManifestReset.driver). */
export function driverPath(): string {
  return createRequire(import.meta.url).resolve('pg')
}

export interface ServerInfo {
  versionNum: number
  major: number
  fsync: boolean
  /** PostgreSQL 18's file_copy_method ('copy' | 'clone'); undefined before 18. 'clone' makes FILE_COPY a reflink. */
  fileCopyMethod?: string
  maxConnections: number
  /** superuser_reserved_connections: slots ordinary roles can never use. */
  reservedConnections: number
  canCreateDb: boolean
  /** CREATEROLE (or superuser): needed for per-worker roles (config `roles`). */
  canCreateRole: boolean
  superuser: boolean
  user: string
}

/** Sessions this process opened, per database: the server's session counts less these are the tests' (clone-use.ts). */
const sessionsOpened = new Map<string, number>()

export function ownSessions(): ReadonlyMap<string, number> {
  return sessionsOpened
}

/** Connects, turning the classic failures into errors that name the fix. `source` says where the URL came from. */
export async function connect(url: string, source = 'the configured URL'): Promise<Client> {
  const client = new (await loadDriver()).Client({ connectionString: url, connectionTimeoutMillis: 10_000 })
  const database = client.database ?? ''
  sessionsOpened.set(database, (sessionsOpened.get(database) ?? 0) + 1)
  // A server that goes away mid-run (embedded server stopped, network) emits 'error' on idle clients;
  // unhandled, that would crash the test runner. Failing queries still reject normally.
  client.on('error', () => {})
  try {
    await client.connect()
    // A runner killed mid-statement (kill -9, OOM) leaves its backend running: a CREATE DATABASE would
    // complete without the marker that the next statement writes, and nobody may drop an unmarked database.
    // With this check (PostgreSQL 14+; older servers reject the name, harmlessly) the backend notices the
    // lost client while copying and rolls the CREATE DATABASE back.
    await client.query('set client_connection_check_interval = 250').catch(() => {})
    return client
  } catch (err) {
    await client.end().catch(() => {})
    throw connectionError(err, url, source)
  }
}

export function connectionError(err: unknown, url: string, source: string): WorkerDbError {
  const e = err as { code?: string; message?: string }
  const where = `${redactUrl(url)} (from ${source})`
  const detail = redactText(e?.message ?? String(err))
  if (e?.code === '28P01' || e?.code === '28000') {
    return new WorkerDbError('E_AUTH', `the server at ${where} refused the credentials: ${detail}`,
      'Check the user and password in the URL (WORKERDB_URL or `server.url`), or the server\'s pg_hba.conf.', { cause: err })
  }
  if (e?.code === '3D000') {
    return new WorkerDbError('E_SERVER_UNREACHABLE', `the database named in ${where} does not exist: ${detail}`,
      'Point the URL at an existing database workerdb can connect to for admin work (usually /postgres).', { cause: err })
  }
  return new WorkerDbError('E_SERVER_UNREACHABLE', `cannot reach PostgreSQL at ${where}: ${detail}`,
    'Start the server, or set WORKERDB_URL (or `server: { url }` in workerdb.config.ts) to a reachable one; remove both to let workerdb start its embedded server.', { cause: err })
}

export async function serverInfo(client: Client): Promise<ServerInfo> {
  const { rows } = await client.query(`
    select current_setting('server_version_num')::int as version_num,
           current_setting('fsync') as fsync,
           current_setting('file_copy_method', true) as file_copy_method,
           current_setting('max_connections')::int as max_connections,
           current_setting('superuser_reserved_connections')::int as reserved,
           r.rolcreatedb as createdb, r.rolcreaterole as createrole, r.rolsuper as superuser, current_user as "user"
      from pg_roles r where r.rolname = current_user`)
  const r = rows[0]
  return {
    versionNum: r.version_num,
    major: Math.floor(r.version_num / 10000),
    fsync: r.fsync === 'on',
    fileCopyMethod: r.file_copy_method ?? undefined,
    maxConnections: r.max_connections,
    reservedConnections: r.reserved,
    canCreateDb: r.createdb || r.superuser,
    canCreateRole: r.createrole || r.superuser,
    superuser: r.superuser,
    user: r.user,
  }
}

/** Databases whose names start with `prefix_`, with their comments (where markers live). */
export async function listDatabases(client: Client, prefix: string): Promise<DatabaseRow[]> {
  const { rows } = await client.query(
    `select datname as name, datistemplate as "isTemplate", shobj_description(oid, 'pg_database') as comment
       from pg_database where starts_with(datname, $1) order by datname`,
    [`${prefix}_`],
  )
  return rows
}

export interface RoleRow {
  name: string
  /** Where role markers live (COMMENT ON ROLE). */
  comment: string | null
  superuser: boolean
}

/** Roles whose names start with `prefix_`, with their comments: per-worker roles (roles.ts) and look-alikes. */
export async function listRoles(client: Client, prefix: string): Promise<RoleRow[]> {
  const { rows } = await client.query(
    `select rolname as name, shobj_description(oid, 'pg_authid') as comment, rolsuper as superuser
       from pg_roles where starts_with(rolname, $1) order by rolname`,
    [`${prefix}_`],
  )
  return rows
}
