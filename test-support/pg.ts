/**
 * The test server, as our tests, benchmarks and scripts see it: its URL (test-support/server.ts chose it),
 * one-off queries, and dropping what a test made — only by prefix, and only databases and roles.
 */
import net from 'node:net'
import pg from 'pg'
import { parseMarker } from '../packages/core/src/catalog/marker.js'
import { quoteIdent } from '../packages/core/src/catalog/names.js'

/** The server the root globalSetup chose (the machine's PostgreSQL, or an embedded one). */
export function serverUrl(): string {
  const url = process.env.WORKERDB_TEST_URL
  if (!url) throw new Error('WORKERDB_TEST_URL is not set: run the tests through the root vitest config')
  return url
}

export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = [], url = serverUrl()): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  await client.connect()
  try {
    return (await client.query(sql, params)).rows as T[]
  } finally {
    await client.end().catch(() => {})
  }
}

export async function databasesWithPrefix(prefix: string, url = serverUrl()): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(`select datname from pg_database where datname like $1 order by datname`, [`${prefix}\\_%`], url)
  return rows.map((r) => r.datname)
}

/** Databases of this prefix other than templates: what a finished run must not leave behind. */
export async function leftoverClones(prefix: string, url = serverUrl()): Promise<string[]> {
  return (await databasesWithPrefix(prefix, url)).filter((d) => !d.startsWith(`${prefix}_tpl_`))
}

/** Roles named `prefix_…` (per-worker roles, and any a scenario made itself), sorted. */
export async function rolesWithPrefix(prefix: string, url = serverUrl()): Promise<string[]> {
  const rows = await adminQuery<{ rolname: string }>(`select rolname from pg_roles where starts_with(rolname, $1) order by rolname`, [`${prefix}_`], url)
  return rows.map((r) => r.rolname)
}

/** Drops everything with this prefix (templates included), then its roles: the server is left as we found it. */
export async function dropPrefix(prefix: string, url = serverUrl()): Promise<void> {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new Error(`refusing to drop databases for prefix ${prefix}`)
  for (const name of await databasesWithPrefix(prefix, url)) await dropDatabase(name, url)
  for (const name of await rolesWithPrefix(prefix, url)) await dropRole(name, url)
}

/** After the databases it had objects in: what it owns or was granted in the admin database goes first. */
export async function dropRole(name: string, url = serverUrl()): Promise<void> {
  await adminQuery(`drop owned by ${quoteIdent(name)}`, [], url).catch(() => {})
  await adminQuery(`drop role if exists ${quoteIdent(name)}`, [], url)
}

export async function dropDatabase(name: string, url = serverUrl()): Promise<void> {
  await adminQuery(`alter database ${quoteIdent(name)} with is_template false allow_connections true`, [], url).catch(() => {})
  await adminQuery(`drop database if exists ${quoteIdent(name)} with (force)`, [], url)
}

/** When workerdb's marker in this comment says the object was made, in ms; NaN when it is not workerdb's. */
function markedAt(comment: string | null): number {
  const marker = parseMarker(comment)
  return marker ? Date.parse(marker.createdAt) : NaN
}

/**
 * Databases, then roles, whose names match `pattern` AND that carry workerdb's marker, made more than
 * `olderThanMs` ago: what a killed test run left behind. Anything without the marker is never touched.
 */
export async function dropStaleMarked(pattern: string, olderThanMs: number, url = serverUrl()): Promise<void> {
  const rows = await adminQuery<{ datname: string; comment: string | null }>(
    `select datname, shobj_description(oid, 'pg_database') as comment from pg_database where datname ~ $1`, [pattern], url)
  for (const { datname, comment } of rows) if (Date.now() - markedAt(comment) > olderThanMs) await dropDatabase(datname, url)
  // Per-worker roles, after the databases they were granted.
  const roles = await adminQuery<{ rolname: string; comment: string | null }>(
    `select rolname, shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname ~ $1`, [pattern], url)
  for (const { rolname, comment } of roles) if (Date.now() - markedAt(comment) > olderThanMs) await dropRole(rolname, url)
}

/** True when nothing accepts TCP connections on host:port. */
export function portRefuses(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ port, host })
    s.setTimeout(2000)
    s.once('connect', () => { s.destroy(); res(false) })
    s.once('timeout', () => { s.destroy(); res(false) })
    s.once('error', () => res(true))
  })
}
