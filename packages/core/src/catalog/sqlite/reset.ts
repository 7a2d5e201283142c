/**
 * `reset: 'truncate'` on SQLite (catalog/dialect.ts's ResetDialect): the catalog it plans from, DELETEs in
 * one transaction, the dirty check, and a worker's connection through the dialect's driver.
 */
import { quoteIdent, quoteLiteral } from '../names.js'
import type { ResetCatalog, ResetConnection, ResetDialect, ResetFailure, TableRef } from '../dialect.js'
import { isBusy, openDb, type Db } from './driver.js'
import { sqlitePath } from './url.js'

/**
 * The main schema's ordinary tables (not SQLite's own sqlite_* ones, nor a virtual table's shadow tables,
 * which its module keeps in step), their foreign keys, and the tables declared AUTOINCREMENT, whose
 * counters live in sqlite_sequence.
 */
export function readSqliteResetCatalog(db: Db): ResetCatalog {
  const list = <T>(sql: string) => JSON.parse(String(db.get(sql)?.list ?? '[]')) as T[]
  const tables = list<string>(`SELECT json_group_array(name) AS list FROM (SELECT name FROM pragma_table_list
     WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name)`)
  // A foreign key of several columns is one id with a row per column.
  const fks = list<{ name: string; from: string; to: string }>(`SELECT json_group_array(json_object('name', f || '_fk' || id, 'from', f, 'to', t)) AS list FROM (
      SELECT DISTINCT m.name AS f, k.id AS id, k."table" AS t FROM pragma_table_list AS m JOIN pragma_foreign_key_list(m.name) AS k
       WHERE m.schema = 'main' AND m.type = 'table' ORDER BY f, id)`)
  const counted = list<string>(`SELECT json_group_array(name) AS list FROM (SELECT name FROM sqlite_schema
     WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%' ORDER BY name)`)
  const ref = (name: string): TableRef => ({ schema: '', name })
  return {
    tables: tables.map(ref),
    foreignKeys: fks.map((r) => ({ name: r.name, from: ref(r.from), to: ref(r.to) })),
    counters: counted.filter((name) => tables.includes(name)).map((name) => ({ table: ref(name), counter: ref(name) })),
  }
}

/**
 * Pure: SQLite has no TRUNCATE: DELETE in one transaction, foreign keys checked at its end, and the
 * AUTOINCREMENT counters forgotten (`counters`: the schema has sqlite_sequence).
 */
function empty(tables: readonly TableRef[], counters = false): string | undefined {
  if (tables.length === 0) return undefined
  return ['BEGIN IMMEDIATE', 'PRAGMA defer_foreign_keys = ON', ...tables.map((t) => `DELETE FROM ${quoteIdent(t.name)}`),
    ...(counters ? [`DELETE FROM sqlite_sequence WHERE name IN (${tables.map((t) => quoteLiteral(t.name)).join(', ')})`] : []),
    'COMMIT'].join(';\n')
}

/** Pure: a table with any row, or an AUTOINCREMENT counter with a value. `dirty` is a list such as '0,3,3,'. */
function dirtyCheck(tables: readonly TableRef[], counters: ReadonlyArray<readonly TableRef[]>): string {
  const any = tables.map((t, i) => `(CASE WHEN EXISTS (SELECT 1 FROM ${quoteIdent(t.name)}) THEN '${i},' ELSE '' END)`)
  const counted = tables.map((t, i) => ({ t, i })).filter(({ i }) => (counters[i] ?? []).length > 0)
  const advanced = counted.length
    ? [`COALESCE((SELECT group_concat(CASE name ${counted.map(({ t, i }) => `WHEN ${quoteLiteral(t.name)} THEN ${i}`).join(' ')} END) FROM sqlite_sequence WHERE seq > 0), '')`]
    : []
  return `SELECT ${[...any, ...advanced].join(' || ')} AS dirty`
}

/**
 * A connection through the driver the dialect uses (better-sqlite3, else node:sqlite). Its calls block, so
 * a lock another connection holds is waited for by trying again every 20 ms, never by blocking the event
 * loop (the holder may be this very process), for at most lockTimeoutMs.
 */
async function open(url: string, opts: { lockTimeoutMs: number }): Promise<ResetConnection> {
  const db = openDb(sqlitePath(url), { mustExist: true })
  let isOpen = true
  const patiently = async <T>(work: () => T): Promise<T> => {
    const deadline = performance.now() + opts.lockTimeoutMs
    for (;;) {
      try {
        return work()
      } catch (err) {
        db.rollback()
        if (!isBusy(err) || performance.now() > deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }
  // Prepared once: reading 50 tables' first rows costs less than preparing the query that does.
  let prepared: { check: string; get: () => Record<string, unknown> | undefined } | undefined
  const checkOf = (check: string) => (prepared?.check === check ? prepared : (prepared = { check, get: db.prepare(check) })).get
  return {
    dirty: (check) => patiently(() => checkOf(check)()?.dirty),
    run: (statement) => patiently(() => db.exec(statement)),
    usable: () => isOpen,
    hold: () => {},
    async close() {
      if (!isOpen) return
      isOpen = false
      db.close()
    },
  }
}

/** Pure: busy past the wait; a foreign key broken at COMMIT (a referencing table outside the reset); no such table. */
function failure(err: unknown): ResetFailure | undefined {
  const message = String((err as { message?: unknown })?.message ?? '')
  if (isBusy(err)) return 'lock'
  if (/FOREIGN KEY constraint failed/.test(message)) return 'referenced'
  return /^no such table/.test(message) ? 'missing' : undefined
}

export const sqliteReset: ResetDialect = {
  empty,
  dirtyCheck,
  open,
  failure,
}
