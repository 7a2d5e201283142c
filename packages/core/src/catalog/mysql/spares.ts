/**
 * Spare clones on MySQL/MariaDB (engine/spares.ts decides which and when). There is no RENAME DATABASE,
 * but one RENAME TABLE moves every table of a database into another at once, rows, indexes, foreign keys
 * and statistics with them, for the cost of renaming their files. So a spare holds the template's tables
 * and rows only (copy.ts, tablesOnly); a run takes it by making its clone, moving the spare's tables in,
 * making the routines, views, triggers and events there (definitions only), and dropping the spare, now
 * empty.
 *
 * A spare is marked from its CREATE DATABASE (marks.ts), so it is marked `state: 'building'` until its
 * last row is in; a spare with fewer tables than its template (a take killed between the move and the
 * drop) is dropped by the next take. A column default that names the template's own database (MariaDB's
 * `DEFAULT NEXTVAL(db.seq)`) would still name the spare after the move, so the take sets it again.
 */
import { WorkerDbError } from '../../errors.js'
import type { Marker } from '../marker.js'
import { copyDatabase, copyError, objectSteps, restoreStatements, SAVE_SESSION, type CopyContext } from './copy.js'
import { createStatements } from './marks.js'
import { batch, ident, lit, rows } from './session.js'
import { rebind, templateDefs, type TemplateDefs } from './template-defs.js'

/** ER_LOCK_WAIT_TIMEOUT: a session holds a spare's table (a transaction open on it). */
const LOCK_WAIT_TIMEOUT = 1205
/** How long a take waits for a table of the spare before it tries the next spare. */
const TAKE_WAIT_SECONDS = 2

/**
 * Pure: why this template's copies cannot be moved into another database, or undefined when they can: a
 * table's definition names the template somewhere other than a column default (those are set again).
 */
export function unmovable(defs: TemplateDefs): string | undefined {
  const qualifier = `${ident(defs.template)}.`
  const named = defs.tables.find((t) => (t.namedDefaults ?? []).reduce((ddl, d) => ddl.split(d.expr).join(''), t.ddl).includes(qualifier))
  return named && `table ${named.name} of template ${defs.template} names its own database (${qualifier}…)`
}

/** Pure: the one statement that moves every table of `defs` from `spare` into `name`. */
export function moveStatement(defs: TemplateDefs, spare: string, name: string): string {
  return `RENAME TABLE ${defs.tables.map((t) => `${ident(spare)}.${ident(t.name)} TO ${ident(name)}.${ident(t.name)}`).join(', ')}`
}

/** Pure: the column defaults that named the template, set again in `name`, where the spare's still point at the spare. */
export function defaultSteps(defs: TemplateDefs, name: string): string[] {
  return defs.tables.flatMap((t) => (t.namedDefaults ?? []).map((d) =>
    `ALTER TABLE ${ident(name)}.${ident(t.name)} ALTER COLUMN ${ident(d.column)} SET DEFAULT ${rebind(d.expr, defs.template, name)}`))
}

/** Copies the template's tables and rows into spare `name`, marked 'building' until they are all in. */
export async function makeSpare(ctx: CopyContext, template: string, name: string, mark: (marker: Marker) => Promise<void>, marker: Marker): Promise<void> {
  const why = unmovable(await templateDefs(ctx.conn, ctx.markHome, ctx.server, template))
  if (why) {
    throw new WorkerDbError('E_CONFIG', `spares: ${why}, so its copies cannot be moved into a clone`,
      'Leave `spares` off for this schema, or name the sequence without its database.')
  }
  await copyDatabase({ ...ctx, tablesOnly: true, marker: { ...marker, state: 'building' } }, template, name)
  try {
    await mark(marker)
  } catch (err) {
    // Marked 'building' by a live process, no take nor sweep would drop it yet: drop it now.
    await ctx.conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`).catch(() => {})
    throw err
  }
}

/** Turns spare `spare` into clone `name` (see the top of this file); 'busy' and 'unfit' as SpareSupport.take says. */
export async function takeSpare(ctx: CopyContext, template: string, spare: string, name: string, marker: Marker): Promise<'taken' | 'busy' | 'unfit'> {
  const { conn } = ctx
  const defs = await templateDefs(conn, ctx.markHome, ctx.server, template)
  // Every statement below waits this long at most for a table someone holds (a transaction open on it).
  await conn.query(`SET @wdb_wait = @@SESSION.lock_wait_timeout, SESSION lock_wait_timeout = ${TAKE_WAIT_SECONDS}`)
  try {
    return await moveInto(ctx, defs, spare, name, marker)
  } catch (err) {
    // Only a wait before the move ends here unwrapped: the spare is as it was.
    if ((err as { errno?: number }).errno === LOCK_WAIT_TIMEOUT) return 'busy'
    throw copyError(err, spare, name, ctx.password)
  } finally {
    await conn.query('SET SESSION lock_wait_timeout = @wdb_wait').catch(() => {})
  }
}

async function moveInto(ctx: CopyContext, defs: TemplateDefs, spare: string, name: string, marker: Marker): Promise<'taken' | 'unfit'> {
  const { conn } = ctx
  const [have] = await rows<{ n: number | string }>(conn,
    "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW'", [spare])
  if (unmovable(defs) || Number(have?.n) !== defs.tables.length) {
    await conn.query(`DROP DATABASE IF EXISTS ${ident(spare)}`)
    return 'unfit'
  }
  const made = createStatements(ctx.markHome, name, `CHARACTER SET ${lit(defs.charset)} COLLATE ${lit(defs.collation)}`, marker)
  await conn.query(made.create)
  const dropClone = () => conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`).catch(() => {})
  try {
    // The move is one statement: should it fail, every table is still the spare's.
    await batch(conn, [...(made.mark ? [made.mark] : []), ...(defs.tables.length ? [moveStatement(defs, spare, name)] : [])])
  } catch (err) {
    await dropClone()
    throw err
  }
  try {
    await batch(conn, [...defaultSteps(defs, name), SAVE_SESSION, `USE ${ident(name)}`, ...objectSteps(defs, name), ...restoreStatements(ctx.home)])
  } catch (err) {
    // The spare's tables went with the clone: both go, and this is no 'busy' (wrapped, it has no errno).
    await batch(conn, restoreStatements(ctx.home)).catch(() => {})
    await dropClone()
    await conn.query(`DROP DATABASE IF EXISTS ${ident(spare)}`).catch(() => {})
    throw copyError(err, spare, name, ctx.password)
  }
  // Empty now. Should this fail, the next take finds it short of tables and drops it.
  await conn.query(`DROP DATABASE IF EXISTS ${ident(spare)}`).catch(() => {})
  return 'taken'
}
