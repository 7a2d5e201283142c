/**
 * What the ORM adapters need to know about the run's database kind: which kind a URL names, the driver
 * package the tool loads for it (the user's dependency, like the tool itself: checked in their project, so
 * a missing one is E_CONFIG naming the install, not the tool's bare "Cannot find module"), and how a ledger
 * table is named there (schema-qualified on PostgreSQL only: MariaDB's schema is the database, SQLite's file).
 */
import { dialectOf, type DialectName } from '../catalog/dialect.js'
import { WorkerDbError } from '../errors.js'
import { installedPackageJson } from '../installed.js'
import { connectionParts } from '../url.js'

/**
 * The driver packages the adapters have their tools load on MariaDB/MySQL and SQLite: named here and nowhere
 * else in migrate/, so this module is the adapters' one home of other kinds' drivers (test/dialect-seam.test.ts).
 */
export const MYSQL2 = 'mysql2'
export const BETTER_SQLITE3 = 'better-sqlite3'
/** Sequelize's SQLite dialect is built on this one (a native module of its own), not on better-sqlite3. */
export const SQLITE3 = 'sqlite3'

/** The kind a database URL names (PostgreSQL for anything unrecognised, as before the other kinds). */
export function kindOf(url: string): DialectName {
  return dialectOf(url) ?? 'postgres'
}

/**
 * The first of `packages` installed in the project at `from` (or above), or E_CONFIG naming the first one's
 * install. `why`: what needs it, e.g. "knex on MariaDB/MySQL".
 */
export function requireDriver(packages: readonly string[], from: string, option: string, why: string): string {
  const found = packages.find((pkg) => installedPackageJson(pkg, from))
  if (found) return found
  throw new WorkerDbError('E_CONFIG', `\`${option}\`: ${why} needs the ${packages[0]} package, and it is not installed in ${from} or above`,
    `Install it where the workerdb config is: npm install -D ${packages[0]}`)
}

/** A ledger table's name as a kind has it: `schema.table` on PostgreSQL, `table` elsewhere (unless a schema was set). */
export function ledgerName(kind: DialectName | undefined, schema: string | undefined, table: string): string {
  if ((kind ?? 'postgres') === 'postgres') return `${schema ?? 'public'}.${table}`
  return schema ? `${schema}.${table}` : table
}

/** Host, port, user, password and database for a MariaDB/MySQL driver's options. */
export function mysqlConnection(url: string): { host: string; port: number; user: string; password: string | undefined; database: string } {
  const parts = connectionParts(url)
  return { host: parts.host, port: Number(parts.port), user: parts.user, password: parts.password || undefined, database: parts.database }
}
