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
  /** Its statistics back on, once its rows are in (none when they were not paused). */
  finish: string[]
  /** The copy's other tables its foreign keys join, either way round. */
  joins: string[]
}

/** A step of a copy that a session runs (CopySchedule.take). */
export interface CopyTask {
  step: 'create' | 'rows' | 'finish'
  table: TableSteps
  statements: string[]
}

/**
 * Pure: which step of a copy a free session takes next, so that the copy's sessions share all of its
 * work and none waits for another's lock:
 * - a table is made before its rows go in, and the sequences before any other table (a table's
 *   DEFAULT NEXTVAL(…) needs its sequence);
 * - on MariaDB a CREATE does not wait for rows going into the tables its foreign keys name, so tables are
 *   made while others fill; on MySQL it locks those tables (`createLocksJoins`), so every table is made
 *   before any rows go in, and no two tables its foreign keys join are made at once;
 * - a table's statistics are set back once every table is made, its rows and those of every table its
 *   foreign keys join are in, and none of those is being altered: an ALTER waits for writes to the
 *   tables its foreign keys join, either way round, and two such ALTERs at once could deadlock.
 * Among the steps ready, the short ones first (ALTERs, then CREATEs): a made table lets one more session fill.
 */
export class CopySchedule {
  private readonly toCreate: TableSteps[]
  private readonly toFill: TableSteps[] = []
  private readonly toFinish: TableSteps[]
  /** Tables whose rows are not in yet (made or not). */
  private readonly unfilled: Set<string>
  /** Tables whose CREATE or ALTER is running. */
  private readonly defining = new Set<string>()
  private sequencesLeft: number
  private creating = 0
  private running = 0

  constructor(tables: TableSteps[], private readonly rules: { createLocksJoins: boolean }) {
    this.toCreate = [...tables]
    this.toFinish = tables.filter((t) => t.finish.length)
    this.unfilled = new Set(tables.filter((t) => t.rows).map((t) => t.name))
    this.sequencesLeft = tables.filter((t) => t.sequence).length
  }

  /** The next step to run, 'wait' until a running one is done, or 'done' when none is left. */
  take(): CopyTask | 'wait' | 'done' {
    const task = this.ready()
    if (task) {
      this.running++
      if (task.step === 'create') this.creating++
      if (task.step !== 'rows') this.defining.add(task.table.name)
      return task
    }
    return this.running || this.toCreate.length || this.toFill.length || this.toFinish.length ? 'wait' : 'done'
  }

  /** `task` ran to the end. */
  done(task: CopyTask): void {
    this.running--
    this.defining.delete(task.table.name)
    if (task.step === 'create') {
      this.creating--
      if (task.table.sequence) this.sequencesLeft--
      if (task.table.rows) this.toFill.push(task.table)
    } else if (task.step === 'rows') {
      this.unfilled.delete(task.table.name)
    }
  }

  private ready(): CopyTask | undefined {
    const allMade = !this.toCreate.length && !this.creating
    if (allMade) {
      const at = this.toFinish.findIndex((t) => !this.unfilled.has(t.name) &&
        t.joins.every((j) => !this.unfilled.has(j) && !this.defining.has(j)))
      if (at >= 0) return this.start('finish', this.toFinish.splice(at, 1)[0]!)
    }
    const at = this.toCreate.findIndex((t) => (t.sequence || !this.sequencesLeft) &&
      !(this.rules.createLocksJoins && t.joins.some((j) => this.defining.has(j))))
    if (at >= 0) return this.start('create', this.toCreate.splice(at, 1)[0]!)
    if (this.rules.createLocksJoins && !allMade) return undefined
    const fill = this.toFill.shift()
    return fill ? this.start('rows', fill) : undefined
  }

  private start(step: CopyTask['step'], table: TableSteps): CopyTask {
    return { step, table, statements: step === 'create' ? [table.create] : step === 'rows' ? [table.rows!] : table.finish }
  }
}
