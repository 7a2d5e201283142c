/**
 * `reset: 'truncate'` on PostgreSQL (catalog/dialect.ts's ResetDialect): the catalog it plans from, one
 * TRUNCATE … RESTART IDENTITY, the dirty check, and a worker's node-postgres connection.
 */
import { createRequire } from 'node:module'
import type pg from 'pg'
import { requirePg } from '../../require-pg.js'
import type { ResetCatalog, ResetConnection, ResetDialect, ResetFailure, TableRef } from '../dialect.js'
import { quoteIdent, quoteLiteral } from '../names.js'
import { socketHold } from '../socket.js'

/** The name a reset connects under: pg_stat_activity tells it from the tests' own connections. */
export const RESET_APPLICATION_NAME = 'workerdb reset'

const quote = (t: TableRef) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`

/**
 * pg, through require, not import(): Jest runs setup files in a vm without dynamic import support (and its
 * own `module.createRequire` keeps the load inside the test's module registry, as a plain require would).
 * `driver`: the pg the runner resolved, which a setup file bundled into a framework package needs under a
 * strict install (pnpm), where that package has no pg of its own.
 */
const loadPg = (driver?: string) => requirePg(createRequire(import.meta.url), driver)

/** User tables (partitions folded into their root), the foreign keys among them, and the sequences tables own. */
export async function readPostgresResetCatalog(client: pg.Client): Promise<ResetCatalog> {
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
    counters: seqs.rows.map((r) => ({ table: { schema: r.table_schema, name: r.table_name }, counter: { schema: r.seq_schema, name: r.seq_name } })),
  }
}

/**
 * Pure: one statement, because TRUNCATE of many tables at once checks foreign keys among them as a set
 * (emptying them one by one fails on the first referenced one), in one round trip.
 */
function empty(tables: readonly TableRef[]): string | undefined {
  if (tables.length === 0) return undefined
  return `TRUNCATE TABLE ${tables.map(quote).join(', ')} RESTART IDENTITY`
}

/**
 * Pure: a table with any row, or an owned sequence that has handed out a value (RESTART IDENTITY leaves it
 * uncalled, so its last value is null). The sequences are named here, read once per run from the catalog,
 * so the check itself reads no catalog: asking pg_depend for each table's sequences costs far more than
 * the check (docs/how-it-works.md, measured choices).
 */
function dirtyCheck(tables: readonly TableRef[], counters: ReadonlyArray<readonly TableRef[]>): string {
  const cases = tables.map((t, i) => {
    const advanced = (counters[i] ?? []).map((s) => ` or pg_sequence_last_value(${quoteLiteral(quote(s))}::regclass) is not null`)
    return `case when exists (select from ${quote(t)})${advanced.join('')} then ${i} end`
  })
  return `select array_remove(array[${cases.join(', ')}]::int[], null) as dirty`
}

/**
 * A connection whose TRUNCATE waits for a lock at most lockTimeoutMs: one an earlier file (or test) left in
 * a transaction would block it forever. Set at connect time: no extra round trip.
 */
async function open(url: string, opts: { lockTimeoutMs: number; driver?: string }): Promise<ResetConnection> {
  const client = new (loadPg(opts.driver)).Client({
    connectionString: url, connectionTimeoutMillis: 10_000, application_name: RESET_APPLICATION_NAME,
    options: `-c lock_timeout=${opts.lockTimeoutMs}`,
  })
  let usable = false
  // Ended under us (the server restarted, a test terminated every backend): the next reset reconnects.
  const lost = () => { usable = false }
  client.on('error', lost)
  client.on('end', lost)
  const hold = socketHold(client)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => {})
    throw err
  }
  usable = true
  return {
    // Prepared once per connection: later checks skip parsing and planning 50 subqueries.
    dirty: async (check) => (await client.query({ name: 'workerdb_reset_check', text: check })).rows[0]?.dirty,
    run: async (statement) => { await client.query(statement) },
    usable: () => usable,
    hold,
    async close() {
      usable = false
      // Held while it closes: the goodbye must reach the server before the process may exit.
      hold(true)
      await client.end().catch(() => {})
    },
  }
}

/** Pure: 55P03 lock_not_available (lock_timeout); 0A000/2BP01 a referencing table; 42P01 no such table. */
function failure(err: unknown): ResetFailure | undefined {
  const code = (err as { code?: unknown })?.code
  return code === '55P03' ? 'lock' : code === '0A000' || code === '2BP01' ? 'referenced' : code === '42P01' ? 'missing' : undefined
}

export const postgresReset: ResetDialect = {
  empty,
  dirtyCheck,
  open,
  failure,
}
