import type { DialectName } from '../catalog/dialect.js'
import type { Logger } from '../log.js'

/**
 * The whole extension point, pgtestdb-sized: a migrator says what shapes the schema (its hash inputs),
 * may prepare cluster-wide things a template cannot carry (roles), and migrates an empty database once.
 */
export interface Migrator {
  /** Shown in summaries: "sql ./migrations", "command npx kysely migrate:latest". */
  readonly describe: string
  /** The database kinds it can migrate; undefined: any (the run refuses others before building anything). */
  dialects?: readonly DialectName[]
  /**
   * Where the tool keeps its own bookkeeping (schema-qualified, e.g. "public.knex_migrations"): rows the
   * migration wrote that tests must never lose, so `reset: 'truncate'` leaves these tables alone.
   * `kind`: the database kind the names are for (default PostgreSQL; elsewhere they carry no `public.`).
   */
  ledgerTables?(kind?: DialectName): Promise<readonly string[]>
  /** What the config risks (e.g. files the template hash cannot see), printed once when a run starts. */
  readonly warnings?: readonly string[]
  /** Everything that shapes the schema, as (name, content) pairs; goes into the template hash. */
  hashInputs(): Promise<Array<[string, string | Buffer]>>
  /** Cluster-level setup (roles, …), run once per server under the template lock, before migrate. */
  prepare?(adminUrl: string): Promise<void>
  /** Runs once, into the empty template. Returns how many migration steps ran, when it knows. */
  migrate(url: string, ctx: MigrateContext): Promise<number | undefined>
}

export interface MigrateContext {
  log: Logger
  /** The env vars a command migrator exports (the same names the tests read), already filled in. */
  env: Record<string, string>
  /** Strings that must never appear in output (the server password). */
  secrets: string[]
}
