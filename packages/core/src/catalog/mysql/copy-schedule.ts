/**
 * The order of a MySQL/MariaDB copy's steps over its sessions (copy.ts runs them): pure, so that the rules
 * that keep the sessions out of each other's locks are stated and tested in one place.
 */

/** One table's share of a copy (copySteps). */
export interface TableSteps {
  name: string
  create: string
  sequence: boolean
  /** `create` puts the rows in too (CREATE TABLE … SELECT, copy.ts TableFill). */
  withRows: boolean
  /** Its rows' INSERT … SELECT; none when `create` puts them in, or it has no stored column. */
  rows?: string
  /** Its statistics computed, once its rows are in (copy.ts StatisticsWay). */
  analyze?: string
  /** The copy's other tables its foreign keys join, either way round. */
  joins: string[]
}

/** A step of a copy that a session runs (CopySchedule.take). */
export interface CopyTask {
  step: 'create' | 'rows' | 'analyze'
  table: TableSteps
  sql: string
}

/**
 * Pure: which step of a copy a free session takes next, so that the copy's sessions share all of its
 * work and none waits for another's lock:
 * - a table is made before its rows go in, and the sequences before any other table (a table's
 *   DEFAULT NEXTVAL(…) needs its sequence);
 * - on MariaDB a CREATE does not wait for rows going into the tables its foreign keys name, nor for
 *   another CREATE naming the same tables, so the first tables fill while the last are made; but a
 *   CREATE TABLE … SELECT holds the tables its foreign keys name until its rows are in, so no rows go into
 *   a table it joins meanwhile;
 * - on MySQL a CREATE locks the tables its foreign keys name (`createLocksJoins`), so every table is made
 *   before any rows go in, and no two CREATEs that would lock the same table run at once;
 * - a table is analysed once its rows are in (ANALYZE waits for no other table's writes).
 * Among the steps ready, the short ones first (ANALYZE, then CREATE): the sessions make the tables
 * together, then fill them (measured a little faster than filling each table as soon as it is made).
 */
export class CopySchedule {
  private readonly toCreate: TableSteps[]
  private readonly toFill: TableSteps[] = []
  private readonly toAnalyze: TableSteps[] = []
  /** Tables whose CREATE is running. */
  private readonly making = new Set<string>()
  private readonly byName: Map<string, TableSteps>
  private sequencesLeft: number
  private running = 0

  constructor(tables: TableSteps[], private readonly rules: { createLocksJoins: boolean }) {
    this.toCreate = [...tables]
    this.byName = new Map(tables.map((t) => [t.name, t]))
    this.sequencesLeft = tables.filter((t) => t.sequence).length
  }

  /** The next step to run, 'wait' until a running one is done, or 'done' when none is left. */
  take(): CopyTask | 'wait' | 'done' {
    const task = this.ready()
    if (task) {
      this.running++
      if (task.step === 'create') this.making.add(task.table.name)
      return task
    }
    return this.running || this.toCreate.length || this.toFill.length || this.toAnalyze.length ? 'wait' : 'done'
  }

  /** `task` ran to the end. */
  done(task: CopyTask): void {
    this.running--
    if (task.step === 'create') {
      this.making.delete(task.table.name)
      if (task.table.sequence) this.sequencesLeft--
      if (task.table.rows) this.toFill.push(task.table)
      else if (task.table.analyze) this.toAnalyze.push(task.table)
    } else if (task.step === 'rows' && task.table.analyze) {
      this.toAnalyze.push(task.table)
    }
  }

  /** A CREATE running locks `t` or a table `t`'s foreign keys name (createLocksJoins). */
  private locked(t: TableSteps): boolean {
    const names = new Set([t.name, ...t.joins])
    return [...this.making].some((m) => names.has(m) || this.byName.get(m)!.joins.some((j) => names.has(j)))
  }

  /**
   * A CREATE TABLE … SELECT (TableSteps.withRows) of a table `t` joins either way is running: it holds the
   * tables its foreign keys name until its rows are in.
   */
  private held(t: TableSteps): boolean {
    return t.joins.some((j) => this.making.has(j) && this.byName.get(j)!.withRows)
  }

  private ready(): CopyTask | undefined {
    const analyze = this.toAnalyze.shift()
    if (analyze) return { step: 'analyze', table: analyze, sql: analyze.analyze! }
    const create = this.toCreate.findIndex((t) => (t.sequence || !this.sequencesLeft) && !(this.rules.createLocksJoins && this.locked(t)))
    if (create >= 0) {
      const [table] = this.toCreate.splice(create, 1)
      return { step: 'create', table: table!, sql: table!.create }
    }
    if (this.rules.createLocksJoins && (this.toCreate.length || this.making.size)) return undefined
    const fill = this.toFill.findIndex((t) => !this.held(t))
    if (fill < 0) return undefined
    const [table] = this.toFill.splice(fill, 1)
    return { step: 'rows', table: table!, sql: table!.rows! }
  }
}
