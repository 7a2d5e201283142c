/**
 * Copying a sealed template on MySQL/MariaDB, which has no CREATE DATABASE … TEMPLATE: the template's
 * definitions are read once per process (a sealed template never changes), and each copy replays them
 * into a new database — tables (sequences first, foreign keys kept, checks off, so the order does not
 * matter; AUTO_INCREMENT as the template's), then `INSERT … SELECT` per table, then the routines, the
 * views (views on views after the views they read), the triggers (after the rows, so they do not fire on
 * them) and the events, each under the sql_mode and collation it was made with.
 *
 * The rows go in over several sessions at once when the plan allows it (CopyPlan.sessionsPerCopy), the
 * largest tables first: a copy mostly waits for the disk (each page a small table grows by is synced), and
 * other sessions fill that wait. Everything else runs on the copy's own session, in order.
 *
 * InnoDB tables are made with STATS_AUTO_RECALC=0 and set back to the template's option once their rows
 * are in: otherwise the server's background thread recalculates a table's persistent statistics again and
 * again while its rows arrive, which costs it more CPU than the copy itself; setting the option back
 * computes them once, from the copied rows, before the copy returns.
 *
 * Not copied: sequences' unused cache (a copied sequence goes on from the template's next uncached value,
 * as mysqldump's does), the history of system-versioned tables, grants on the template's objects.
 */
import { WorkerDbError } from '../../errors.js'
import type { Marker } from '../marker.js'
import { createStatements, isMarkerRoutine, markersQuery, type MarkHome } from './marks.js'
import { batch, ident, lit, redact, rows, statementCause, type Conn } from './session.js'

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

interface TableDef {
  name: string
  ddl: string
  /** Stored columns in order: generated ones are computed again, invisible ones are named to be copied. */
  columns: string[]
  /** STATS_AUTO_RECALC as the template has it, when the copy pauses it while the rows go in (statsPause). */
  recalc?: string
  /** Bytes the server says the table takes (data and indexes): the largest are copied first. */
  bytes: number
  /** Column defaults that name the template (MariaDB's `DEFAULT NEXTVAL(db.seq)`): a moved table's are set again. */
  namedDefaults?: Array<{ column: string; expr: string }>
}

interface ObjectDef {
  ddl: string
  sqlMode?: string
  collation?: string
  timeZone?: string
}

export interface TemplateDefs {
  template: string
  /** The template's marker when read: a template made again under the same name is read again. */
  comment: string
  charset: string
  collation: string
  tables: TableDef[]
  /** Routines, views, triggers, events: in the order they are made. */
  objects: ObjectDef[]
}

/** Per server and template: the definitions last read (module level: a sealed template never changes). */
const cache = new Map<string, Promise<TemplateDefs>>()

/**
 * The cached definitions of `template` on `server` (host:port), read again when its marker is not the
 * one they were read with (the template was dropped and made again under its name).
 */
export async function templateDefs(conn: Conn, home: MarkHome, server: string, template: string, comment?: string): Promise<TemplateDefs> {
  const key = `${server}/${template}`
  const cached = cache.get(key)
  if (cached) {
    const defs = await cached.catch(() => undefined)
    if (defs && (comment === undefined || defs.comment === comment)) return defs
  }
  const reading = readDefs(conn, home, template)
  cache.set(key, reading)
  reading.catch(() => { if (cache.get(key) === reading) cache.delete(key) })
  return reading
}

/** The template's marker as stored now ('' without one), or undefined when there is no such database. */
export async function templateComment(conn: Conn, home: MarkHome, template: string): Promise<string | undefined> {
  const [row] = await rows<{ comment: string | null }>(conn, markersQuery(home, 's.SCHEMA_NAME = ?'), [template])
  return row ? row.comment ?? '' : undefined
}

async function readDefs(conn: Conn, home: MarkHome, template: string): Promise<TemplateDefs> {
  const t = lit(template)
  const [schema, marked, tables, columns, named, views, triggers, routines, events] = await batch(conn, [
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${t}`,
    markersQuery(home, `s.SCHEMA_NAME = ${t}`),
    // Sequences first: a table's DEFAULT NEXTVAL(…) needs its sequence.
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, CREATE_OPTIONS AS options,
            COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS bytes
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${t} AND TABLE_TYPE <> 'VIEW'
      ORDER BY TABLE_TYPE <> 'SEQUENCE', TABLE_NAME`,
    // Generated columns have an expression (MySQL: '' for the others, MariaDB: NULL).
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${t} AND COALESCE(GENERATION_EXPRESSION, '') = '' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${t} AND LOCATE(${lit(`${ident(template)}.`)}, COLUMN_DEFAULT) > 0 ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    `SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ${t} ORDER BY TABLE_NAME`,
    // Several triggers per table and event fire in ACTION_ORDER: made in that order, each goes last, so it stays.
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${t}
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ${t} AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
    `SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${t} ORDER BY EVENT_NAME`,
  ]) as Array<Array<Record<string, string>>>
  const s = schema![0]
  if (!s) {
    throw new WorkerDbError('E_CLONE', `cannot copy template ${template}: there is no such database`,
      'Something dropped the template while this run used it; run again to build it anew.')
  }
  const q = ident(template)
  // The template's own marker is not copied: the copy has its own (marks.ts).
  const copied = routines!.filter((r) => !isMarkerRoutine(home, { name: r.name!, type: r.type! }))
  const show: string[] = [
    ...tables!.map((r) => `SHOW CREATE TABLE ${q}.${ident(r.name!)}`),
    ...views!.map((r) => `SHOW CREATE VIEW ${q}.${ident(r.name!)}`),
    ...triggers!.map((r) => `SHOW CREATE TRIGGER ${q}.${ident(r.name!)}`),
    ...copied.map((r) => `SHOW CREATE ${r.type === 'FUNCTION' ? 'FUNCTION' : 'PROCEDURE'} ${q}.${ident(r.name!)}`),
    ...events!.map((r) => `SHOW CREATE EVENT ${q}.${ident(r.name!)}`),
  ]
  const shown = (await batch(conn, show)).map((r) => (r as Array<Record<string, string | null>>)[0]!)
  let at = 0
  const next = (n: number) => shown.slice(at, (at += n))

  const cols = new Map<string, string[]>()
  for (const r of columns!) cols.set(r.t!, [...(cols.get(r.t!) ?? []), r.c!])
  const defaults = new Map<string, Array<{ column: string; expr: string }>>()
  for (const r of named!) defaults.set(r.t!, [...(defaults.get(r.t!) ?? []), { column: r.c!, expr: r.d! }])
  const tableDefs = next(tables!.length).map((r, i): TableDef => {
    const { name, type, engine, options, bytes } = tables![i]!
    const recalc = statsPause({ type: type!, engine, options })
    const namedDefaults = defaults.get(name!)
    return {
      name: name!, ddl: need(r['Create Table'], template, name!), columns: cols.get(name!) ?? [], bytes: Number(bytes),
      ...(recalc ? { recalc } : {}), ...(namedDefaults ? { namedDefaults } : {}),
    }
  })
  const viewDefs = orderViews(next(views!.length).map((r, i) => ({
    name: views![i]!.name!, ddl: need(r['Create View'], template, views![i]!.name!), collation: r['collation_connection'] ?? undefined,
  })))
  const triggerDefs = next(triggers!.length).map((r, i) => ({
    ddl: need(r['SQL Original Statement'], template, triggers![i]!.name!), sqlMode: r['sql_mode'] ?? '', collation: r['collation_connection'] ?? undefined,
  }))
  const routineDefs = next(copied.length).map((r, i) => ({
    ddl: need(r['Create Procedure'] ?? r['Create Function'], template, copied[i]!.name!), sqlMode: r['sql_mode'] ?? '', collation: r['collation_connection'] ?? undefined,
  }))
  const eventDefs = next(events!.length).map((r, i) => ({
    ddl: need(r['Create Event'], template, events![i]!.name!), sqlMode: r['sql_mode'] ?? '', collation: r['collation_connection'] ?? undefined,
    timeZone: r['time_zone'] ?? undefined,
  }))
  return {
    template,
    comment: (marked![0]?.comment as string | null | undefined) ?? '',
    charset: s.charset!,
    collation: s.collation!,
    tables: tableDefs,
    // Routines before the views that may call them; triggers after the rows; events last.
    objects: [...routineDefs, ...viewDefs.map(({ ddl, collation }) => ({ ddl, collation })), ...triggerDefs, ...eventDefs],
  }
}

/** A definition the server would not show (NULL: the user lacks a privilege on it). */
function need(ddl: string | null | undefined, template: string, name: string): string {
  if (ddl) return ddl
  throw new WorkerDbError('E_CLONE', `cannot copy template ${template}: the server does not show the definition of ${name} to this user`,
    'Connect as a user with SELECT and SHOW VIEW on every database (or run the migrations as this user).')
}

/**
 * Pure: the STATS_AUTO_RECALC to set a table back to when its statistics are paused during the copy, or
 * undefined when they are left alone: not InnoDB, not recalculated anyway (STATS_PERSISTENT=0 or
 * STATS_AUTO_RECALC=0), or a table no option can be appended to or altered freely (partitioned: its
 * definition ends in the partitions; system-versioned: ALTER is refused by default).
 */
export function statsPause(table: { type: string; engine?: string | null; options?: string | null }): string | undefined {
  if (table.type !== 'BASE TABLE' || table.engine?.toLowerCase() !== 'innodb') return undefined
  const options = (table.options ?? '').toLowerCase().split(/\s+/)
  if (['partitioned', 'stats_persistent=0', 'stats_auto_recalc=0'].some((o) => options.includes(o))) return undefined
  return options.includes('stats_auto_recalc=1') ? '1' : 'DEFAULT'
}

/** Pure: views ordered so that each comes after the views it reads (by the names its definition quotes). */
export function orderViews<T extends { name: string; ddl: string }>(views: T[]): T[] {
  const left = new Map(views.map((v) => [v.name, v]))
  const out: T[] = []
  const reads = (v: T) => {
    const body = v.ddl.slice(v.ddl.search(/ AS /i) + 1)
    return [...left.keys()].filter((n) => n !== v.name && body.includes(ident(n)))
  }
  while (left.size) {
    const ready = [...left.values()].filter((v) => reads(v).length === 0)
    // A cycle can only come of a name that merely looks like a view's: make them in name order then.
    for (const v of ready.length ? ready : [...left.values()]) {
      out.push(v)
      left.delete(v.name)
    }
  }
  return out
}

/** Pure: a definition of the template's with every `template`. qualifier turned into the copy's. */
export function rebind(ddl: string, template: string, name: string): string {
  return ddl.split(`${ident(template)}.`).join(`${ident(name)}.`)
}

/** Saves what the copy changes about the session, for restoreStatements; before any of copySteps or objectSteps. */
export const SAVE_SESSION = 'SET @wdb_collation = @@SESSION.collation_connection, @wdb_time_zone = @@SESSION.time_zone'

/** The session settings a copy runs under: foreign keys and unique checks off, the rows taken as they are. */
export const COPY_SETTINGS = 'SET SESSION foreign_key_checks = 0, unique_checks = 0'

/**
 * Pure: a copy of `defs` into the empty database `name` (each session's default database then), in its
 * four steps: the tables made, their rows copied (a statement per table, the largest first, in any order
 * and on any session), then on the copy's own session the tables' statistics back on, and the other
 * objects (objectSteps). `analyze`: the server does not compute a table's statistics when its option is
 * set back (MySQL), so ANALYZE TABLE does, once.
 */
export function copySteps(defs: TemplateDefs, name: string, analyze = false): { tables: string[]; rows: string[]; finish: string[]; objects: string[] } {
  const tables = [
    SAVE_SESSION,
    COPY_SETTINGS,
    ...defs.tables.map((t) => rebind(t.ddl, defs.template, name) + (t.recalc ? ' STATS_AUTO_RECALC=0' : '')),
  ]
  const rows = defs.tables.filter((t) => t.columns.length).sort((a, b) => b.bytes - a.bytes).map((t) => {
    const list = t.columns.map(ident).join(', ')
    return `INSERT INTO ${ident(t.name)} (${list}) SELECT ${list} FROM ${ident(defs.template)}.${ident(t.name)}`
  })
  // Only once every row is in: an ALTER of a table waits for, and can deadlock with, rows going into the tables its foreign keys join.
  const paused = defs.tables.filter((t) => t.recalc)
  const finish = paused.map((t) => `ALTER TABLE ${ident(t.name)} STATS_AUTO_RECALC=${t.recalc}`)
  if (analyze && paused.length) finish.push(`ANALYZE TABLE ${paused.map((t) => ident(t.name)).join(', ')}`)
  return { tables, rows, finish, objects: objectSteps(defs, name) }
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
  /** ANALYZE the tables whose statistics were paused (copySteps). */
  analyze: boolean
  /** host:port (or the socket): the definitions cache's key, with the template's name. */
  server: string
  home: string | undefined
  password: string
  /** A fresh connection: to copy rows on besides `conn`, or to clean up with when `conn` broke mid-copy. */
  reopen(): Promise<Conn>
  /** Sessions the rows may go in over at once, `conn` included (CopyPlan.sessionsPerCopy). */
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
  const steps = copySteps(defs, name, ctx.analyze)
  // Helpers connect while the tables are made; one that cannot (the server's connection limit) is done without.
  const opening = Array.from({ length: Math.max(0, Math.min(ctx.sessions, steps.rows.length) - 1) }, () => ctx.reopen().then(
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
    await batch(conn, [...(made.mark ? [made.mark] : []), `USE ${ident(name)}`, ...steps.tables])
    const helpers = (await Promise.all(opening)).filter((h): h is Conn => h !== undefined)
    await copyRows([conn, ...helpers], steps.rows)
    await batch(conn, [...steps.finish, ...(ctx.tablesOnly ? [] : steps.objects), ...restoreStatements(ctx.home)])
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
 * Runs the row statements over the sessions, each taking the next as it is free. The first failure stops
 * the rest, and is thrown once every session is done with the statement it had (none is left writing).
 */
async function copyRows(sessions: Conn[], statements: string[]): Promise<void> {
  const queue = [...statements]
  const results = await Promise.allSettled(sessions.map(async (session) => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      try {
        await session.query(next)
      } catch (err) {
        queue.length = 0
        throw err
      }
    }
  }))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
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
