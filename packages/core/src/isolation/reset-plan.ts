/**
 * `reset: 'truncate'`, the runner side: every test file starts from empty user tables — and with
 * `per: 'test'` every test. Which tables, the statement that empties them and the query that finds the dirty
 * ones are decided once per run (from the first clone's catalog, which is the template's: each kind's
 * Dialect.readResetCatalog) and handed to workers in the manifest; a worker only runs them on its clone (reset-run.ts).
 */
import type { DialectName, ResetCatalog, TableRef } from '../catalog/dialect.js'
import { WorkerDbError } from '../errors.js'
import { RESET_DIALECTS, truncateStatement } from './truncate.js'

export type { ResetCatalog }

/**
 * `'truncate'` empties the clone before every test file; `{ truncate: true, per: 'test' }` before every
 * test as well (a beforeEach the setup files register). No string form for per test: `'truncate'` already
 * reads as the per-file one, and a second string would have to be learnt rather than read.
 */
export type ResetOption = 'none' | 'truncate' | { truncate: true; per?: ResetPer; keep?: string[] }

/** When the reset runs: before every test file (default), or before every test too. */
export type ResetPer = 'file' | 'test'

/**
 * What crosses to workers in the manifest. A worker first asks which tables hold rows or advanced their
 * identity (`check`) and empties only those, plus the tables that reference them: TRUNCATE costs per
 * table, not per row (new files for each table and index; docs/how-it-works.md has the figures), and most
 * files write to a few tables only, many (unit tests) to none.
 */
export interface ManifestReset {
  /** The database kind the statements are written for (absent: PostgreSQL). */
  kind?: DialectName
  /** Empties every table at once: what runs when all are dirty. */
  statement: string
  /** The tables, in statement order; schema and name apart (names may hold dots). */
  refs: TableRef[]
  /** Same order: indexes of the tables with a foreign key to this one, which must be emptied with it. */
  referencedBy: number[][]
  /**
   * One query: `dirty`, the indexes of tables holding rows or whose identities have advanced (an array on
   * PostgreSQL; a comma-separated list, maybe with repeats, elsewhere: dirtyIndexes reads both).
   */
  check: string
  /** Some table counts identities (ResetCatalog.counters): SQLite's reset then empties sqlite_sequence too. */
  counters?: boolean
  /** Before every test file, or before every test as well. */
  per: ResetPer
  /**
   * The pg the runner resolved (absolute path). Workers load that one: a setup file bundled into the
   * framework package resolves from there, where a strict install (pnpm) has no pg of its own.
   */
  driver?: string
}

/**
 * Bookkeeping tables of common migration tools. Dropping their rows would not break this run (the template
 * is already built), but a migrate step run again inside a test (e.g. knex `migrate.latest()` in a
 * globalSetup-free suite) would then re-apply every migration: keep them even when the adapter in use
 * did not name them.
 */
export const KNOWN_LEDGERS: readonly string[] = [
  'public.knex_migrations', 'public.knex_migrations_lock',
  'public.kysely_migration', 'public.kysely_migration_lock',
  'public.pgmigrations',
  'drizzle.__drizzle_migrations',
  'public._prisma_migrations',
  'public.schema_migrations',
]

/**
 * `users` → public.users; `audit.log` → audit.log: on PostgreSQL the first dot separates schema and table.
 * Elsewhere a name is the table's whole name: the clone is its own database, and the reset empties no other.
 */
export function parseTableName(text: string, kind: DialectName = 'postgres'): TableRef {
  const dot = text.indexOf('.')
  if (kind !== 'postgres') return { schema: '', name: text }
  if (dot < 0) return { schema: 'public', name: text }
  return { schema: text.slice(0, dot), name: text.slice(dot + 1) }
}

export const tableKey = (t: TableRef): string => (t.schema ? `${t.schema}.${t.name}` : t.name)

/** Pure: the known ledgers as `kind` names them (no schemas outside PostgreSQL; pgmigrations is PostgreSQL's only). */
export function knownLedgers(kind: DialectName = 'postgres'): string[] {
  if (kind === 'postgres') return [...KNOWN_LEDGERS]
  return KNOWN_LEDGERS.filter((n) => n !== 'public.pgmigrations').map((n) => n.slice(n.indexOf('.') + 1))
}

/**
 * Pure: which tables to empty between test files — every user table except the migration ledgers and
 * the tables the user keeps — as the manifest entry, or undefined when none is left.
 *
 * A kept (or ledger) table with a foreign key to an emptied one is refused here, with the fix. The other
 * way out would be TRUNCATE … CASCADE, which silently empties every table that references an emptied
 * one, kept or not: the rows a user asked to keep would vanish without a word. Without CASCADE, anything
 * this check cannot see (a table a test creates at run time) makes the TRUNCATE fail loudly (E_RESET)
 * instead of losing data.
 */
export function planReset(catalog: ResetCatalog, opts: { keep?: readonly string[]; ledger?: readonly string[]; per?: ResetPer; kind?: DialectName }): ManifestReset | undefined {
  const kind = opts.kind ?? 'postgres'
  const byKey = new Map(catalog.tables.map((t) => [tableKey(t), t]))
  const keep = (opts.keep ?? []).map((name) => parseTableName(name, kind))
  const unknown = keep.filter((t) => !byKey.has(tableKey(t)))
  if (unknown.length) {
    const names = unknown.map(tableKey)
    const near = unknown.map((t) => catalog.tables.find((c) => tableKey(c).toLowerCase() === tableKey(t).toLowerCase()))
      .filter((t): t is TableRef => t !== undefined).map(tableKey)
    const known = catalog.tables.map(tableKey)
    throw new WorkerDbError('E_CONFIG',
      `reset.keep names ${names.length === 1 ? 'a table' : 'tables'} the migrated template does not have: ${names.join(', ')}`,
      (near.length ? `Did you mean ${near.join(', ')}? Names are case-sensitive. ` : '') +
      `${kind === 'postgres' ? 'Write "table" (schema public) or "schema.table"' : 'Write the table\'s name'}; the template's tables are: ${known.slice(0, 30).join(', ') || '(none)'}${known.length > 30 ? ', …' : ''}.`)
  }
  const kept = new Set([...keep.map(tableKey), ...[...knownLedgers(kind), ...(opts.ledger ?? [])].map((n) => tableKey(parseTableName(n, kind)))])
  const emptied = catalog.tables.filter((t) => !kept.has(tableKey(t)))
  const emptiedKeys = new Set(emptied.map(tableKey))
  const conflicts = catalog.foreignKeys.filter((fk) => !emptiedKeys.has(tableKey(fk.from)) && emptiedKeys.has(tableKey(fk.to)))
  if (conflicts.length) {
    // The whole fix at once: keeping a referenced table can expose the tables it references in turn.
    const mustKeep = new Set<string>()
    const spared = new Set([...catalog.tables.map(tableKey).filter((k) => !emptiedKeys.has(k))])
    for (let grew = true; grew;) {
      grew = false
      for (const fk of catalog.foreignKeys) {
        const to = tableKey(fk.to)
        if (spared.has(tableKey(fk.from)) && !spared.has(to) && emptiedKeys.has(to)) {
          spared.add(to)
          mustKeep.add(to)
          grew = true
        }
      }
    }
    const why = conflicts.map((fk) => `${tableKey(fk.from)} (${kept.has(tableKey(fk.from)) ? (keep.some((k) => tableKey(k) === tableKey(fk.from)) ? 'kept' : 'a migration ledger') : 'not emptied'}) references ${tableKey(fk.to)} through ${fk.name}`)
    throw new WorkerDbError('E_CONFIG',
      `reset: 'truncate' cannot empty tables that a table it keeps references: ${why.join('; ')}`,
      `Keep the referenced table${mustKeep.size === 1 ? '' : 's'} too: reset: { truncate: true, keep: [${[...keep.map(tableKey), ...mustKeep].map((k) => JSON.stringify(k)).join(', ')}] }.`)
  }
  const counters = catalog.counters.length > 0
  const statement = truncateStatement(emptied, kind, counters)
  if (!statement) return undefined
  const index = new Map(emptied.map((t, i) => [tableKey(t), i]))
  const referencedBy = emptied.map((t) => [...new Set(catalog.foreignKeys
    .filter((fk) => tableKey(fk.to) === tableKey(t) && index.has(tableKey(fk.from)) && tableKey(fk.from) !== tableKey(t))
    .map((fk) => index.get(tableKey(fk.from))!))].sort((a, b) => a - b))
  const owned = emptied.map((t) => catalog.counters.filter((c) => tableKey(c.table) === tableKey(t)).map((c) => c.counter))
  return {
    ...(kind === 'postgres' ? {} : { kind }), statement, refs: emptied, referencedBy,
    check: RESET_DIALECTS[kind].dirtyCheck(emptied, owned), per: opts.per ?? 'file', ...(counters ? { counters } : {}),
  }
}
