/**
 * `reset: 'truncate'`, the runner side: every test file starts from empty user tables — and with
 * `per: 'test'` every test. Which tables, the statement that empties them and the query that finds the dirty
 * ones are decided once per run (from the first clone's catalog, which is the template's) and handed to
 * workers in the manifest; a worker only runs them on its clone (reset-run.ts).
 */
import type pg from 'pg'
import { WorkerDbError } from '../errors.js'
import { quoteIdent, quoteLiteral } from '../catalog/names.js'
import { truncateStatement, type TableRef } from './truncate.js'

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
  /** Empties every table at once: what runs when all are dirty. */
  statement: string
  /** The tables, in statement order; schema and name apart (names may hold dots). */
  refs: TableRef[]
  /** Same order: indexes of the tables with a foreign key to this one, which must be emptied with it. */
  referencedBy: number[][]
  /** One query: `dirty`, the indexes of tables holding rows or whose owned sequences have advanced. */
  check: string
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

/** `users` → public.users; `audit.log` → audit.log. The first dot separates schema and table. */
export function parseTableName(text: string): TableRef {
  const dot = text.indexOf('.')
  if (dot < 0) return { schema: 'public', name: text }
  return { schema: text.slice(0, dot), name: text.slice(dot + 1) }
}

export const tableKey = (t: TableRef): string => `${t.schema}.${t.name}`

/**
 * Pure: the query that finds which of `tables` need emptying — any row, or an owned (serial/identity)
 * sequence that has handed out a value (RESTART IDENTITY leaves it uncalled, so its last value is null).
 * `sequences[i]`: the sequences table i owns, read once per run from the catalog and named here, so the
 * check itself reads no catalog: asking pg_depend for each table's sequences costs far more than the check
 * (docs/how-it-works.md, measured choices).
 */
export function dirtyCheckStatement(tables: readonly TableRef[], sequences: ReadonlyArray<readonly TableRef[]> = []): string {
  const cases = tables.map((t, i) => {
    const advanced = (sequences[i] ?? []).map((s) => ` or pg_sequence_last_value(${quoteLiteral(`${quoteIdent(s.schema)}.${quoteIdent(s.name)}`)}::regclass) is not null`)
    return `case when exists (select from ${quoteIdent(t.schema)}.${quoteIdent(t.name)})${advanced.join('')} then ${i} end`
  })
  return `select array_remove(array[${cases.join(', ')}]::int[], null) as dirty`
}

export interface ResetCatalog {
  /** Ordinary and partitioned tables in user schemas, not owned by an extension, not partitions. */
  tables: TableRef[]
  /** Foreign keys, with partitions folded into their root table. */
  foreignKeys: Array<{ name: string; from: TableRef; to: TableRef }>
  /** Sequences owned by a table's columns (serial, identity), partitions folded into their root table. */
  sequences?: Array<{ table: TableRef; sequence: TableRef }>
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
export function planReset(catalog: ResetCatalog, opts: { keep?: readonly string[]; ledger?: readonly string[]; per?: ResetPer }): ManifestReset | undefined {
  const byKey = new Map(catalog.tables.map((t) => [tableKey(t), t]))
  const keep = (opts.keep ?? []).map(parseTableName)
  const unknown = keep.filter((t) => !byKey.has(tableKey(t)))
  if (unknown.length) {
    const names = unknown.map(tableKey)
    const near = unknown.map((t) => catalog.tables.find((c) => tableKey(c).toLowerCase() === tableKey(t).toLowerCase()))
      .filter((t): t is TableRef => t !== undefined).map(tableKey)
    const known = catalog.tables.map(tableKey)
    throw new WorkerDbError('E_CONFIG',
      `reset.keep names ${names.length === 1 ? 'a table' : 'tables'} the migrated template does not have: ${names.join(', ')}`,
      (near.length ? `Did you mean ${near.join(', ')}? Names are case-sensitive. ` : '') +
      `Write "table" (schema public) or "schema.table"; the template's tables are: ${known.slice(0, 30).join(', ') || '(none)'}${known.length > 30 ? ', …' : ''}.`)
  }
  const kept = new Set([...keep.map(tableKey), ...[...KNOWN_LEDGERS, ...(opts.ledger ?? [])].map((n) => tableKey(parseTableName(n)))])
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
  const statement = truncateStatement(emptied)
  if (!statement) return undefined
  const index = new Map(emptied.map((t, i) => [tableKey(t), i]))
  const referencedBy = emptied.map((t) => [...new Set(catalog.foreignKeys
    .filter((fk) => tableKey(fk.to) === tableKey(t) && index.has(tableKey(fk.from)) && tableKey(fk.from) !== tableKey(t))
    .map((fk) => index.get(tableKey(fk.from))!))].sort((a, b) => a - b))
  const owned = emptied.map((t) => (catalog.sequences ?? []).filter((s) => tableKey(s.table) === tableKey(t)).map((s) => s.sequence))
  return { statement, refs: emptied, referencedBy, check: dirtyCheckStatement(emptied, owned), per: opts.per ?? 'file' }
}

/** The catalog facts planReset needs, read from a database built from the template. */
export async function readResetCatalog(client: pg.Client): Promise<ResetCatalog> {
  const tables = await client.query<TableRef>(`
    select n.nspname as schema, c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
     order by 1, 2`)
  // conparentid = 0: the constraint as declared, not its copies on each partition.
  const fks = await client.query<{ name: string; from_schema: string; from_name: string; to_schema: string; to_name: string }>(`
    select k.conname as name, fn.nspname as from_schema, fc.relname as from_name, tn.nspname as to_schema, tc.relname as to_name
      from pg_constraint k
      join pg_class fc on fc.oid = coalesce(pg_partition_root(k.conrelid)::oid, k.conrelid)
      join pg_namespace fn on fn.oid = fc.relnamespace
      join pg_class tc on tc.oid = coalesce(pg_partition_root(k.confrelid)::oid, k.confrelid)
      join pg_namespace tn on tn.oid = tc.relnamespace
     where k.contype = 'f' and k.conparentid = 0
     order by 1`)
  // 'a': serial (OWNED BY), 'i': identity. A partition's own sequences count for its root: TRUNCATE of the root restarts them too.
  const seqs = await client.query<{ table_schema: string; table_name: string; seq_schema: string; seq_name: string }>(`
    select tn.nspname as table_schema, t.relname as table_name, sn.nspname as seq_schema, s.relname as seq_name
      from pg_depend d
      join pg_class s on s.oid = d.objid and s.relkind = 'S'
      join pg_class t on t.oid = coalesce(pg_partition_root(d.refobjid)::oid, d.refobjid)
      join pg_namespace tn on tn.oid = t.relnamespace
      join pg_namespace sn on sn.oid = s.relnamespace
     where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
     order by 1, 2, 3, 4`)
  return {
    tables: tables.rows.map((r) => ({ schema: r.schema, name: r.name })),
    foreignKeys: fks.rows.map((r) => ({ name: r.name, from: { schema: r.from_schema, name: r.from_name }, to: { schema: r.to_schema, name: r.to_name } })),
    sequences: seqs.rows.map((r) => ({ table: { schema: r.table_schema, name: r.table_name }, sequence: { schema: r.seq_schema, name: r.seq_name } })),
  }
}
