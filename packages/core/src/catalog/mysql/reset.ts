/**
 * `reset: 'truncate'` on MariaDB/MySQL (catalog/dialect.ts's ResetDialect): the catalog it plans from, a
 * TRUNCATE per table, the dirty check, and a worker's connection through the project's mysql2.
 */
import type { ResetCatalog, ResetConnection, ResetDialect, ResetFailure, TableRef } from '../dialect.js'
import { socketHold } from '../socket.js'
import { ident, lit, openConnection, parseMysqlUrl, rows, type Conn } from './session.js'

/**
 * The clone's base tables (not views, not sequences), the foreign keys between them (one to another
 * database is not the reset's), and the tables with an AUTO_INCREMENT column, which count their own.
 */
export async function readMysqlResetCatalog(conn: Conn): Promise<ResetCatalog> {
  const tables = await rows<{ name: string }>(conn, `SELECT TABLE_NAME AS name FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`)
  const fks = await rows<{ name: string; from_name: string; to_name: string }>(conn, `SELECT CONSTRAINT_NAME AS name, TABLE_NAME AS from_name, REFERENCED_TABLE_NAME AS to_name
      FROM information_schema.REFERENTIAL_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = DATABASE() AND UNIQUE_CONSTRAINT_SCHEMA = DATABASE() ORDER BY CONSTRAINT_NAME`)
  const counted = await rows<{ name: string }>(conn, `SELECT DISTINCT TABLE_NAME AS name FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND EXTRA LIKE '%auto_increment%' ORDER BY TABLE_NAME`)
  const ref = (name: string): TableRef => ({ schema: '', name })
  return {
    tables: tables.map((r) => ref(r.name)),
    foreignKeys: fks.map((r) => ({ name: r.name, from: ref(r.from_name), to: ref(r.to_name) })),
    counters: counted.map((r) => ({ table: ref(r.name), counter: ref(r.name) })),
  }
}

/**
 * Pure: TRUNCATE takes one table, and refuses a referenced one while foreign keys are checked: checks off
 * for the session meanwhile (what references an emptied table is emptied with it). TRUNCATE puts
 * AUTO_INCREMENT back to 1.
 */
function empty(tables: readonly TableRef[]): string | undefined {
  if (tables.length === 0) return undefined
  return ['SET SESSION foreign_key_checks = 0', ...tables.map((t) => `TRUNCATE TABLE ${ident(t.name)}`), 'SET SESSION foreign_key_checks = 1'].join(';\n')
}

/**
 * Pure: a table with any row, or one whose AUTO_INCREMENT has moved past 1. `dirty` is a list such as
 * '0,3,3'. Reads information_schema only when some table has a counter.
 */
function dirtyCheck(tables: readonly TableRef[], counters: ReadonlyArray<readonly TableRef[]>): string {
  const any = tables.map((t, i) => `(SELECT ${i} FROM ${ident(t.name)} LIMIT 1)`)
  const counted = tables.map((t, i) => ({ t, i })).filter(({ i }) => (counters[i] ?? []).length > 0)
  const advanced = counted.length ? [`(SELECT GROUP_CONCAT(CASE TABLE_NAME ${counted.map(({ t, i }) => `WHEN ${lit(t.name)} THEN ${i}`).join(' ')} END) ` +
    `FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT > 1 AND TABLE_NAME IN (${counted.map(({ t }) => lit(t.name)).join(', ')}))`] : []
  return `SELECT CONCAT_WS(',', ${[...any, ...advanced].join(', ')}) AS dirty`
}

/**
 * A connection whose TRUNCATE waits for a table's metadata lock (held by a transaction that touched the
 * table) at most lockTimeoutMs, rounded up to whole seconds. MySQL caches information_schema's
 * AUTO_INCREMENT for a day unless told not to; MariaDB has no such setting (1193: unknown variable).
 */
async function open(url: string, opts: { lockTimeoutMs: number }): Promise<ResetConnection> {
  const conn = await openConnection(url, parseMysqlUrl(url), 'the reset')
  const seconds = Math.max(1, Math.ceil(opts.lockTimeoutMs / 1000))
  let usable = true
  conn.on('error', () => { usable = false })
  const hold = socketHold(conn)
  try {
    await conn.query(`SET SESSION lock_wait_timeout = ${seconds}, innodb_lock_wait_timeout = ${seconds}`)
    await conn.query('SET SESSION information_schema_stats_expiry = 0').catch((err: { errno?: number }) => {
      if (err?.errno !== 1193) throw err
    })
  } catch (err) {
    conn.destroy()
    throw err
  }
  const query = async (sql: string) => {
    try {
      return await conn.query(sql)
    } catch (err) {
      // A broken connection (not a refused statement) is not used again.
      if ((err as { fatal?: boolean }).fatal) usable = false
      throw err
    }
  }
  return {
    dirty: async (check) => ((await query(check))[0] as Array<{ dirty?: unknown }>)[0]?.dirty,
    async run(statement) {
      try {
        await query(statement)
      } catch (err) {
        // A TRUNCATE that failed left foreign key checks off: on again for whatever this session runs next.
        await conn.query('SET SESSION foreign_key_checks = 1').catch(() => { usable = false })
        throw err
      }
    },
    usable: () => usable,
    hold,
    async close() {
      usable = false
      hold(true)
      await conn.end().catch(() => conn.destroy())
    },
  }
}

/** Pure: 1205 a lock wait timed out; 1146 no such table. Nothing refers back: foreign keys are not checked while it empties. */
function failure(err: unknown): ResetFailure | undefined {
  const errno = (err as { errno?: unknown })?.errno
  return errno === 1205 ? 'lock' : errno === 1146 ? 'missing' : undefined
}

export const mysqlReset: ResetDialect = {
  empty,
  dirtyCheck,
  open,
  failure,
}
