/**
 * Copying a sealed template on MySQL/MariaDB, which has no CREATE DATABASE … TEMPLATE: each copy replays
 * the template's definitions (template-defs.ts) into a new database — tables (sequences first, foreign
 * keys kept, checks off, so the order does not matter; AUTO_INCREMENT as the template's) with their rows
 * (CopyContext.fill says how), then the routines, the views, the triggers (after the rows, so they do not
 * fire on them) and the events, each under the sql_mode and collation it was made with.
 *
 * The tables are made, filled and analysed over several sessions at once when the plan allows it
 * (CopyPlan.sessionsPerCopy; CopySchedule orders the steps): a copy mostly waits for the disk (each
 * CREATE TABLE and each page a small table grows by is synced), and other sessions fill that wait. The
 * other objects are made last, on the copy's own session, in order.
 *
 * A copy's InnoDB tables have their statistics computed from the copied rows before it returns
 * (CopyContext.statistics says how on each server).
 *
 * Not copied: sequences' unused cache (a copied sequence goes on from the template's next uncached value,
 * as mysqldump's does), the history of system-versioned tables, grants on the template's objects.
 */
import { WorkerDbError } from '../../errors.js'
import type { Marker } from '../marker.js'
import { CopySchedule, type TableSteps } from './copy-schedule.js'
import { createStatements, type MarkHome } from './marks.js'
import { batch, ident, lit, redact, statementCause, type Conn } from './session.js'
import { rebind, templateDefs, type TemplateDefs } from './template-defs.js'

/** The session's own sql_mode: nothing strict in the way of copying rows as they are, 0 in an AUTO_INCREMENT column kept. */
export const SESSION_SQL_MODE = 'NO_AUTO_VALUE_ON_ZERO'

/**
 * Pure: every admin session's settings: our sql_mode (backslashes escape in literals, ANSI_QUOTES off, no
 * strict mode to refuse rows the template holds), and on MariaDB no reading of the optimizer's statistics
 * tables: copies need no plan, and several copies reading a new template's statistics at once crashed
 * MariaDB 10.11.19 here (read_statistics_for_tables, SIGSEGV). MySQL has no such setting.
 */
export function sessionSettings(mariadb: boolean): string {
  return `SET SESSION sql_mode = ${lit(SESSION_SQL_MODE)}${mariadb ? ", use_stat_tables = 'NEVER'" : ''}`
}

/** Saves what the copy changes about the session, for restoreStatements; before any of copySteps or objectSteps. */
export const SAVE_SESSION = 'SET @wdb_collation = @@SESSION.collation_connection, @wdb_time_zone = @@SESSION.time_zone'

/** The session settings a copy runs under: foreign keys and unique checks off, the rows taken as they are. */
export const COPY_SETTINGS = 'SET SESSION foreign_key_checks = 0, unique_checks = 0'

/**
 * How a copy's tables whose statistics the server recalculates (template-defs.ts `recalculated`) have them
 * computed from the copied rows before the copy returns. The tables are made as the template's, their
 * statistics never paused: an ALTER per table to pause them and set them back cost more than it saved.
 * - 'background' (MariaDB): the server's own recalculation computes most tables' statistics in the
 *   background while the copy goes on; the copy analyses those not computed by its end (staleStatistics).
 * - 'analyze' (MySQL): its own recalculation had reached few tables seconds after their rows went in, so
 *   the copy analyses each table once its rows are in.
 */
export type StatisticsWay = 'background' | 'analyze'

/**
 * How a copy puts a table's rows in:
 * - 'create-select' (MariaDB): `CREATE TABLE … SELECT`, the table made and filled in one statement, where
 *   that makes the template's table (template-defs.ts `plain`; the others as 'insert-select'): it costs
 *   MariaDB's server far less CPU than a CREATE, then a bulk INSERT … SELECT into the empty table, for the
 *   same syncs (docs/how-it-works.md has the figures).
 * - 'insert-select' (MySQL): the table made, then `INSERT … SELECT`. MySQL's `CREATE TABLE … SELECT` gained
 *   little, and MySQL before 8.0.21 refuses it under enforce_gtid_consistency.
 */
export type TableFill = 'create-select' | 'insert-select'

/**
 * Pure: a copy of `defs` into the empty database `name` (each session's default database then): the
 * copy's own session's settings, each table's steps (CopySchedule orders them over the sessions), and
 * the other objects, made last on the copy's own session (objectSteps).
 */
export function copySteps(defs: TemplateDefs, name: string, way: { statistics: StatisticsWay; fill: TableFill }): { setup: string[]; tables: TableSteps[]; objects: string[] } {
  // Sequences first, then the largest tables: their rows take longest, so they start first.
  const ordered = [...defs.tables].sort((a, b) => Number(!!b.sequence) - Number(!!a.sequence) || b.bytes - a.bytes)
  const tables = ordered.map((t): TableSteps => {
    const list = t.columns.map(ident).join(', ')
    const select = `SELECT ${list} FROM ${ident(defs.template)}.${ident(t.name)}`
    const withRows = way.fill === 'create-select' && t.plain && t.columns.length > 0
    const create = rebind(t.ddl, defs.template, name)
    return {
      name: t.name,
      create: withRows ? `${create} ${select}` : create,
      sequence: !!t.sequence,
      withRows,
      ...(t.columns.length && !withRows ? { rows: `INSERT INTO ${ident(t.name)} (${list}) ${select}` } : {}),
      // NO_WRITE_TO_BINLOG: what a replica needs of the copy is its rows, not this server's statistics.
      ...(way.statistics === 'analyze' && t.recalculated ? { analyze: `ANALYZE NO_WRITE_TO_BINLOG TABLE ${ident(t.name)}` } : {}),
      joins: t.joins,
    }
  })
  return { setup: [SAVE_SESSION, COPY_SETTINGS], tables, objects: objectSteps(defs, name) }
}

/**
 * A table's row count, kept up to date by every insert, and the largest cardinality of its indexes in its
 * statistics (that of its primary or another unique key: its rows once they are computed; 0 without an index).
 */
export interface TableCounts {
  rows: number
  keys: number
}

/**
 * Pure: the tables of a 'background' copy whose statistics have not been computed from its rows yet: ones the
 * server recalculates whose indexes' largest cardinality is under half their rows (before the statistics
 * are computed it is that of the empty table). A table without a unique key cannot be told apart, so it
 * is analysed whenever it holds rows.
 */
export function staleStatistics(defs: TemplateDefs, counts: Map<string, TableCounts>): string[] {
  return defs.tables.filter((t) => {
    const c = counts.get(t.name)
    return t.recalculated && c !== undefined && c.keys * 2 < c.rows
  }).map((t) => t.name)
}

/**
 * Pure: the template's routines, views, triggers and events made in `name` (the session's default
 * database), each under the sql_mode, collation and time zone it was made with.
 */
export function objectSteps(defs: TemplateDefs, name: string): string[] {
  const out: string[] = []
  for (const o of defs.objects) {
    const set = [
      ...(o.sqlMode !== undefined ? [`sql_mode = ${lit(o.sqlMode)}`] : []),
      ...(o.collation ? [`collation_connection = ${lit(o.collation)}`] : []),
      ...(o.timeZone ? [`time_zone = ${lit(o.timeZone)}`] : []),
    ]
    if (set.length) out.push(`SET SESSION ${set.join(', ')}`)
    out.push(rebind(o.ddl, defs.template, name))
  }
  return out
}

/** What a copy changed about the session, undone; then back to the session's own default database. */
export function restoreStatements(home: string | undefined): string[] {
  return [
    `SET SESSION sql_mode = ${lit(SESSION_SQL_MODE)}, foreign_key_checks = 1, unique_checks = 1, ` +
      'collation_connection = COALESCE(@wdb_collation, @@SESSION.collation_connection), time_zone = COALESCE(@wdb_time_zone, @@SESSION.time_zone)',
    // No way back to "no database": information_schema is one nobody drops, and one no sweep reads as busy.
    `USE ${ident(home ?? 'information_schema')}`,
  ]
}

export interface CopyContext {
  conn: Conn
  /** Where the server keeps markers (marks.ts). */
  markHome: MarkHome
  /** The copy's marker: written with the database, before any table (marks.ts). */
  marker?: Marker
  /** The admin sessions' settings (sessionSettings): each helper session runs them too. */
  settings: string
  /** How the tables get their statistics on this server. */
  statistics: StatisticsWay
  /** How the tables get their rows on this server. */
  fill: TableFill
  /** A CREATE TABLE locks the tables its foreign keys name (MySQL), so it waits for rows going into them. */
  createLocksJoins: boolean
  /** host:port (or the socket): the definitions cache's key, with the template's name. */
  server: string
  home: string | undefined
  password: string
  /** A fresh connection: to copy on besides `conn`, or to clean up with when `conn` broke mid-copy. */
  reopen(): Promise<Conn>
  /** Sessions the copy's steps are shared over at once, `conn` included (CopyPlan.sessionsPerCopy). */
  sessions: number
  /**
   * The tables and their rows only (a spare, spares.ts): views, routines, triggers and events cannot move
   * to another database, so a run makes them when it takes the spare.
   */
  tablesOnly?: boolean
}

/** Copies `template` into a new database `name`; on failure drops what it made and throws E_CLONE / E_NO_CREATEDB. */
export async function copyDatabase(ctx: CopyContext, template: string, name: string): Promise<void> {
  const { conn } = ctx
  let defs: TemplateDefs
  try {
    defs = await templateDefs(conn, ctx.markHome, ctx.server, template)
  } catch (err) {
    throw copyError(err, template, name, ctx.password)
  }
  const made = createStatements(ctx.markHome, name, `CHARACTER SET ${lit(defs.charset)} COLLATE ${lit(defs.collation)}`, ctx.marker)
  try {
    await conn.query(made.create)
  } catch (err) {
    // Nothing made (or not ours: it existed already): nothing to drop.
    throw copyError(err, template, name, ctx.password)
  }
  const steps = copySteps(defs, name, ctx)
  // Helpers connect while the copy starts; one that cannot (the server's connection limit) is done without.
  const opening = Array.from({ length: Math.max(0, Math.min(ctx.sessions, steps.tables.length) - 1) }, () => ctx.reopen().then(
    async (helper) => {
      try {
        await batch(helper, [ctx.settings, COPY_SETTINGS, `USE ${ident(name)}`])
        return helper
      } catch {
        helper.destroy()
        return undefined
      }
    },
    () => undefined))
  try {
    await batch(conn, [...(made.mark ? [made.mark] : []), `USE ${ident(name)}`, ...steps.setup])
    const schedule = new CopySchedule(steps.tables, { createLocksJoins: ctx.createLocksJoins })
    await runSchedule(schedule, [conn, ...opening])
    const stale = ctx.statistics === 'background' ? staleStatistics(defs, await tableCounts(conn, name)) : []
    await batch(conn, [
      ...(stale.length ? [`ANALYZE NO_WRITE_TO_BINLOG TABLE ${stale.map(ident).join(', ')}`] : []),
      ...(ctx.tablesOnly ? [] : steps.objects),
      ...restoreStatements(ctx.home),
    ])
  } catch (err) {
    const restored = await batch(conn, restoreStatements(ctx.home)).then(() => true, () => false)
    await dropHalfCopy(ctx, name, restored)
    throw copyError(err, template, name, ctx.password)
  } finally {
    // Every helper, also one that opened after a failure: none is left open.
    await Promise.all((await Promise.all(opening)).map((helper) => helper?.end().catch(() => helper.destroy())))
  }
}

/**
 * Runs a copy's steps over its sessions (a helper joins once it is open; undefined: it could not), each
 * taking the next step as it is free. The first failure stops the rest, and is thrown once every
 * session is done with the statement it had (none is left writing).
 */
async function runSchedule(schedule: CopySchedule, sessions: Array<Conn | Promise<Conn | undefined>>): Promise<void> {
  let failure: { err: unknown } | undefined
  let wake: Array<() => void> = []
  const wakeAll = () => {
    const woken = wake
    wake = []
    for (const resume of woken) resume()
  }
  const work = async (session: Conn) => {
    for (;;) {
      if (failure) return
      const task = schedule.take()
      if (task === 'done') return
      if (task === 'wait') {
        await new Promise<void>((resume) => wake.push(resume))
        continue
      }
      try {
        await session.query(task.sql)
      } catch (err) {
        failure ??= { err }
        wakeAll()
        return
      }
      schedule.done(task)
      wakeAll()
    }
  }
  await Promise.all(sessions.map(async (session) => {
    const conn = await session
    if (conn) await work(conn)
  }))
  if (failure) throw failure.err
}

/**
 * TableCounts of each table of database `name`, by table: two queries, each on one database (a join of
 * the two information_schema tables cost the server several times as much).
 */
async function tableCounts(conn: Conn, name: string): Promise<Map<string, TableCounts>> {
  const [tables, keys] = await batch(conn, [
    `SELECT TABLE_NAME AS name, TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(name)} AND TABLE_TYPE <> 'VIEW'`,
    `SELECT TABLE_NAME AS name, MAX(CARDINALITY) AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ${lit(name)} GROUP BY TABLE_NAME`,
  ]) as Array<Array<{ name: string; n?: number | string | null; c?: number | string | null }>>
  const largest = new Map(keys!.map((r) => [r.name, Number(r.c ?? 0)]))
  return new Map(tables!.map((r) => [r.name, { rows: Number(r.n ?? 0), keys: largest.get(r.name) ?? 0 }]))
}

async function dropHalfCopy(ctx: CopyContext, name: string, sessionOk: boolean): Promise<void> {
  if (sessionOk && await ctx.conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`).then(() => true, () => false)) return
  const conn = await ctx.reopen().catch(() => undefined)
  if (!conn) return
  try {
    await conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`).catch(() => {})
  } finally {
    await conn.end().catch(() => conn.destroy())
  }
}

export function copyError(err: unknown, template: string, name: string, password: string): WorkerDbError {
  if (err instanceof WorkerDbError) return err
  const e = err as { errno?: number; code?: string; message?: string }
  const detail = redact(e?.message ?? String(err), password)
  const cause = statementCause(err, detail)
  if (e?.errno === 1044 || e?.errno === 1142) {
    return new WorkerDbError('E_NO_CREATEDB', `permission denied to create clone ${name}: ${detail}`,
      'The user needs CREATE, DROP, ALTER, INSERT, CREATE VIEW, TRIGGER, CREATE ROUTINE and EVENT on the `<prefix>_%` databases ' +
      '(GRANT ALL ON `wdb\\_%`.* TO …), and SELECT on the template; or connect as a user that has them.', { cause })
  }
  if (e?.errno === 1227) {
    return new WorkerDbError('E_CLONE', `copying ${template} into ${name} failed: ${detail}`,
      'A view, trigger or routine of the template names another DEFINER: connect as a user with SET USER (SUPER), or let the migrations make them as this user.', { cause })
  }
  if (e?.errno === 1007) {
    return new WorkerDbError('E_CLONE', `cannot create clone ${name}: a database of that name exists already`,
      'It is not one this run made; `npx workerdb status` lists leftovers, and the next run\'s sweep drops dead runs\' clones.', { cause })
  }
  return new WorkerDbError('E_CLONE', `copying ${template} into ${name} failed: ${detail}`,
    'Check the server log; if the template itself is broken, drop it (the next run builds it again).', { cause })
}
