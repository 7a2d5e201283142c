/**
 * A sealed template's definitions on MySQL/MariaDB, as a copy replays them (copy.ts): its tables (with what
 * a copy needs to know of each: stored columns, size, whether the server recalculates its statistics, the
 * tables its foreign keys join), then its routines, views (views on views after the views they read),
 * triggers and events, each with the sql_mode and collation it was made with. Read once per process: a
 * sealed template never changes.
 */
import { WorkerDbError } from '../../errors.js'
import { isMarkerRoutine, markersQuery, type MarkHome } from './marks.js'
import { batch, ident, lit, rows, type Conn } from './session.js'

export interface TableDef {
  name: string
  ddl: string
  /** Stored columns in order: generated ones are computed again, invisible ones are named to be copied. */
  columns: string[]
  /**
   * A base table whose every column is stored and visible: the only kind `CREATE TABLE … SELECT` makes as
   * the template's (on MariaDB 10.11 it moved a generated column first, and put an invisible column's
   * values into the next one).
   */
  plain: boolean
  /** The server keeps the table's statistics and recalculates them itself (recalculated): a copy sees to them. */
  recalculated: boolean
  /** Bytes the server says the table takes (data and indexes): the largest are copied first. */
  bytes: number
  /** Column defaults that name the template (MariaDB's `DEFAULT NEXTVAL(db.seq)`): a moved table's are set again. */
  namedDefaults?: Array<{ column: string; expr: string }>
  /** The template's other tables its foreign keys join, either way round. */
  joins: string[]
  /** A sequence: made before the tables, whose DEFAULT NEXTVAL(…) needs it. */
  sequence?: true
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
  const [schema, marked, tables, columns, named, keys, views, triggers, routines, events] = await batch(conn, [
    `SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
       FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${t}`,
    markersQuery(home, `s.SCHEMA_NAME = ${t}`),
    // Sequences first: a table's DEFAULT NEXTVAL(…) needs its sequence.
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, CREATE_OPTIONS AS options,
            COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS bytes
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${t} AND TABLE_TYPE <> 'VIEW'
      ORDER BY TABLE_TYPE <> 'SEQUENCE', TABLE_NAME`,
    // Generated columns have an expression (MySQL: '' for the others, MariaDB: NULL).
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COALESCE(GENERATION_EXPRESSION, '') = '' AS kept,
            EXTRA LIKE '%INVISIBLE%' AS hidden
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${t} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${t} AND LOCATE(${lit(`${ident(template)}.`)}, COLUMN_DEFAULT) > 0 ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    `SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS
      WHERE CONSTRAINT_SCHEMA = ${t} AND UNIQUE_CONSTRAINT_SCHEMA = ${t}`,
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
  // Tables with a generated or an invisible column.
  const notPlain = new Set<string>()
  for (const r of columns!) {
    if (Number(r.kept)) cols.set(r.t!, [...(cols.get(r.t!) ?? []), r.c!])
    if (!Number(r.kept) || Number(r.hidden)) notPlain.add(r.t!)
  }
  const defaults = new Map<string, Array<{ column: string; expr: string }>>()
  for (const r of named!) defaults.set(r.t!, [...(defaults.get(r.t!) ?? []), { column: r.c!, expr: r.d! }])
  const joins = new Map<string, Set<string>>()
  for (const { t: from, r: to } of keys!) {
    if (from === to) continue
    joins.set(from!, (joins.get(from!) ?? new Set()).add(to!))
    joins.set(to!, (joins.get(to!) ?? new Set()).add(from!))
  }
  const tableDefs = next(tables!.length).map((r, i): TableDef => {
    const { name, type, engine, options, bytes } = tables![i]!
    const namedDefaults = defaults.get(name!)
    return {
      name: name!, ddl: need(r['Create Table'], template, name!), columns: cols.get(name!) ?? [], bytes: Number(bytes),
      plain: type === 'BASE TABLE' && !notPlain.has(name!),
      joins: [...(joins.get(name!) ?? [])].sort(), ...(type === 'SEQUENCE' ? { sequence: true as const } : {}),
      recalculated: recalculated({ type: type!, engine, options }), ...(namedDefaults ? { namedDefaults } : {}),
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
 * Pure: whether the server keeps a table's statistics and recalculates them as its rows change: an InnoDB
 * table (not a sequence) without STATS_PERSISTENT=0 (statistics computed anew whenever it is opened) or
 * STATS_AUTO_RECALC=0 (its owner computes them when they choose).
 */
export function recalculated(table: { type: string; engine?: string | null; options?: string | null }): boolean {
  if (table.type === 'SEQUENCE' || table.engine?.toLowerCase() !== 'innodb') return false
  const options = (table.options ?? '').toLowerCase().split(/\s+/)
  return !['stats_persistent=0', 'stats_auto_recalc=0'].some((o) => options.includes(o))
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
