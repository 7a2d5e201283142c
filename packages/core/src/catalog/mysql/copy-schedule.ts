/**
 * The order of a MySQL/MariaDB copy's steps over its sessions (copy.ts runs them): pure, so that the rules
 * that keep the sessions out of each other's locks are stated and tested in one place.
 */

/** One table's share of a copy (copySteps). */
export interface TableSteps {
  name: string
  create: string
  sequence: boolean
  /** Its rows' INSERT … SELECT; none when it has no stored column. */
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
 * - on MariaDB a CREATE does not wait for rows going into the tables its foreign keys name, so the first
 *   tables fill while the last are made; on MySQL it locks those tables (`createLocksJoins`), so every
 *   table is made before any rows go in, and no two CREATEs that would lock the same table run at once;
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
  private readonly joinsOf: Map<string, string[]>
  private sequencesLeft: number
  private running = 0

  constructor(tables: TableSteps[], private readonly rules: { createLocksJoins: boolean }) {
    this.toCreate = [...tables]
    this.joinsOf = new Map(tables.map((t) => [t.name, t.joins]))
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
    return [...this.making].some((m) => names.has(m) || this.joinsOf.get(m)!.some((j) => names.has(j)))
  }

  private ready(): CopyTask | undefined {
    const analyze = this.toAnalyze.shift()
    if (analyze) return { step: 'analyze', table: analyze, sql: analyze.analyze! }
    const at = this.toCreate.findIndex((t) => (t.sequence || !this.sequencesLeft) && !(this.rules.createLocksJoins && this.locked(t)))
    if (at >= 0) {
      const [table] = this.toCreate.splice(at, 1)
      return { step: 'create', table: table!, sql: table!.create }
    }
    if (this.rules.createLocksJoins && (this.toCreate.length || this.making.size)) return undefined
    const fill = this.toFill.shift()
    return fill ? { step: 'rows', table: fill, sql: fill.rows! } : undefined
  }
}
