/**
 * A MySQL/MariaDB copy's pure parts (catalog/mysql/copy-schedule.ts, copy.ts): the statements a table's
 * steps run, the order the steps take over its sessions, and which tables' statistics it still has to
 * compute. On real servers:
 * mysql-dialect.suite.ts.
 */
import { describe, expect, it } from 'vitest'
import { CopySchedule, type CopyTask, type TableSteps } from '../src/catalog/mysql/copy-schedule.js'
import { copySteps, staleStatistics } from '../src/catalog/mysql/copy.js'
import type { TableDef, TemplateDefs } from '../src/catalog/mysql/template-defs.js'

/**
 * A table's steps: rows unless `rows: false`, by its CREATE when `withRows` (CREATE TABLE … SELECT), an
 * ANALYZE unless `analyze: false`.
 */
function table(name: string, opts: { joins?: string[]; sequence?: boolean; rows?: boolean; withRows?: boolean; analyze?: boolean } = {}): TableSteps {
  const withRows = opts.withRows ?? false
  return {
    name,
    create: `CREATE ${name}${withRows ? ' SELECT' : ''}`,
    sequence: opts.sequence ?? false,
    withRows,
    ...(opts.rows === false || withRows ? {} : { rows: `INSERT ${name}` }),
    ...(opts.analyze === false ? {} : { analyze: `ANALYZE ${name}` }),
    joins: opts.joins ?? [],
  }
}

/** A chain t0 ← t1 ← … (each table's foreign key names the one before), as the bench's schema. */
const chain = (n: number) => Array.from({ length: n }, (_, i) =>
  table(`t${i}`, { joins: [...(i > 0 ? [`t${i - 1}`] : []), ...(i < n - 1 ? [`t${i + 1}`] : [])] }))

const label = (task: CopyTask) => `${task.step} ${task.table.name}`

/**
 * Runs a schedule over `sessions` sessions, finishing the running steps in an order `pick` chooses, and
 * checks every rule at each start: what was running then, and the whole order.
 */
function simulate(tables: TableSteps[], sessions: number, rules: { createLocksJoins: boolean }, pick: (n: number) => number) {
  const schedule = new CopySchedule(tables, rules)
  const running: CopyTask[] = []
  const order: string[] = []
  const started: Array<{ task: CopyTask; alongside: CopyTask[]; before: string[] }> = []
  for (let guard = 0; guard < 10_000; guard++) {
    while (running.length < sessions) {
      const next = schedule.take()
      if (next === 'done') {
        expect(running).toEqual([])
        return { order, started }
      }
      if (next === 'wait') break
      started.push({ task: next, alongside: [...running], before: [...order] })
      running.push(next)
    }
    // Nothing can start while nothing runs: the schedule would never move again.
    expect(running.length).toBeGreaterThan(0)
    const [finished] = running.splice(pick(running.length), 1)
    schedule.done(finished!)
    order.push(label(finished!))
  }
  throw new Error('the schedule did not end')
}

/** A seeded pseudo-random pick, so that a failure can be run again. */
function seeded(seed: number): (n: number) => number {
  let x = seed
  return (n) => {
    x = (x * 1103515245 + 12345) % 2147483648
    return x % n
  }
}

describe('the order of a copy\'s steps (CopySchedule)', () => {
  it('every step runs once: each table made, filled, then analysed; on one session one after another', () => {
    const tables = [table('s', { sequence: true, analyze: false }), ...chain(3), table('empty', { rows: false })]
    const { order } = simulate(tables, 1, { createLocksJoins: false }, () => 0)
    expect([...order].sort()).toEqual([
      'analyze empty', 'analyze t0', 'analyze t1', 'analyze t2',
      'create empty', 'create s', 'create t0', 'create t1', 'create t2',
      'rows s', 'rows t0', 'rows t1', 'rows t2',
    ])
    // One session: the short steps first, so the CREATEs, then each table's rows and its ANALYZE.
    expect(order).toEqual([
      'create s', 'create t0', 'create t1', 'create t2', 'create empty', 'analyze empty',
      'rows s', 'rows t0', 'analyze t0', 'rows t1', 'analyze t1', 'rows t2', 'analyze t2',
    ])
  })

  for (const createLocksJoins of [false, true]) {
    it(`keeps each session out of another's locks, whatever the order steps end in (${createLocksJoins ? 'MySQL' : 'MariaDB'})`, () => {
      const tables = [table('s1', { sequence: true, analyze: false }), table('s2', { sequence: true, analyze: false }), ...chain(12),
        table('lone'), table('bare', { rows: false, analyze: false }),
        // A hub and the tables whose foreign keys name it, which name nothing else.
        table('hub', { joins: ['k1', 'k2', 'k3'] }), ...['k1', 'k2', 'k3'].map((k) => table(k, { joins: ['hub'] })),
        // MariaDB's CREATE TABLE … SELECT: children made with their rows, one parent filled after it is made.
        table('p', { joins: ['f1', 'f2'] }), table('f1', { joins: ['p'], withRows: true }), table('f2', { joins: ['p', 'f3'], withRows: true }),
        table('f3', { joins: ['f2'], withRows: true })]
      const joinsOf = new Map(tables.map((t) => [t.name, t.joins]))
      // Every other seed, the sequences and the last group alone: a parent's rows are then ready while its
      // children are still being made, not only after every other table's rows.
      const small = [...tables.slice(0, 2), ...tables.slice(-4)]
      for (let seed = 1; seed <= 40; seed++) {
        const set = seed % 2 ? tables : small
        const { order, started } = simulate(set, 1 + (seed % 4), { createLocksJoins }, seeded(seed))
        expect(order).toHaveLength(set.length + set.filter((t) => t.rows).length + set.filter((t) => t.analyze).length)
        expect(new Set(order).size).toBe(order.length)
        for (const { task, alongside, before } of started) {
          const name = task.table.name
          const done = (step: string, t: string) => before.includes(`${step} ${t}`)
          if (task.step === 'create' && !task.table.sequence) {
            // Sequences first: a table's DEFAULT NEXTVAL(…) needs its sequence.
            expect(done('create', 's1') && done('create', 's2')).toBe(true)
          }
          if (task.step === 'create' && createLocksJoins) {
            // No two CREATEs that lock the same table: a table and the ones its foreign keys name.
            const locks = (t: string) => [t, ...joinsOf.get(t)!]
            expect(alongside.filter((a) => a.step === 'create' && locks(a.table.name).some((l) => locks(name).includes(l)))).toEqual([])
          }
          if (task.step === 'rows') {
            expect(done('create', name)).toBe(true)
            // No rows go into a table while a CREATE TABLE … SELECT of a table it joins runs (it holds its parents).
            expect(alongside.filter((a) => a.step === 'create' && a.table.withRows && joinsOf.get(name)!.includes(a.table.name))).toEqual([])
            // MySQL: no rows go in until every table is made (a CREATE locks the tables its foreign keys name).
            if (createLocksJoins) expect(set.every((t) => done('create', t.name))).toBe(true)
          }
          if (task.step === 'analyze') expect(done(task.table.rows ? 'rows' : 'create', name)).toBe(true)
        }
      }
    })
  }

  it('MariaDB: the first tables fill while the last are made; MySQL: not', () => {
    const mariadb = new CopySchedule(chain(3), { createLocksJoins: false })
    const made = mariadb.take() as CopyTask
    expect(label(made)).toBe('create t0')
    mariadb.done(made)
    expect(label(mariadb.take() as CopyTask)).toBe('create t1')
    expect(label(mariadb.take() as CopyTask)).toBe('create t2')
    expect(label(mariadb.take() as CopyTask)).toBe('rows t0')

    const mysql = new CopySchedule(chain(3), { createLocksJoins: true })
    const first = mysql.take() as CopyTask
    mysql.done(first)
    // t1's foreign key names t0, t2's names t1: one at a time, and no rows meanwhile.
    expect(label(mysql.take() as CopyTask)).toBe('create t1')
    expect(mysql.take()).toBe('wait')
  })

  it('MariaDB: no rows go into a table while a CREATE TABLE … SELECT of a table it joins runs', () => {
    const schedule = new CopySchedule([table('p', { joins: ['f'], analyze: false }), table('f', { joins: ['p'], withRows: true, analyze: false })], { createLocksJoins: false })
    const parent = schedule.take() as CopyTask
    const child = schedule.take() as CopyTask
    expect([label(parent), label(child)]).toEqual(['create p', 'create f'])
    schedule.done(parent)
    expect(schedule.take()).toBe('wait')
    schedule.done(child)
    expect(label(schedule.take() as CopyTask)).toBe('rows p')
  })

  it('a sequence is made before any table, also with several sessions free', () => {
    const schedule = new CopySchedule([table('s', { sequence: true, analyze: false }), table('a'), table('b')], { createLocksJoins: false })
    const seq = schedule.take() as CopyTask
    expect(label(seq)).toBe('create s')
    expect(schedule.take()).toBe('wait')
    schedule.done(seq)
    expect(label(schedule.take() as CopyTask)).toBe('create a')
  })
})

describe('which statistics a MariaDB copy computes itself (staleStatistics)', () => {
  const def = (name: string, recalculated = true): TableDef => ({ name, ddl: '', columns: ['id'], plain: true, bytes: 0, joins: [], recalculated })
  const defs: TemplateDefs = {
    template: 'tpl', comment: '', charset: 'utf8mb4', collation: 'utf8mb4_general_ci', objects: [],
    tables: [def('computed'), def('behind'), def('empty'), def('off', false), def('no_key')],
  }

  it('the tables the server recalculates whose largest index cardinality is not yet their rows\'', () => {
    const counts = new Map([
      ['computed', { rows: 2000, keys: 1987 }],
      // Before the server computes them, a filled table's statistics are those of the empty table.
      ['behind', { rows: 2000, keys: 2 }],
      ['empty', { rows: 0, keys: 0 }],
      // STATS_AUTO_RECALC=0 in the template: left as the template's owner set it.
      ['off', { rows: 2000, keys: 0 }],
      // No index to tell by: analysed whenever it holds rows.
      ['no_key', { rows: 10, keys: 0 }],
    ])
    expect(staleStatistics(defs, counts)).toEqual(['behind', 'no_key'])
  })
})

describe('the statements that make and fill a table (copySteps)', () => {
  const defs: TemplateDefs = {
    template: 'tpl', comment: '', charset: 'utf8mb4', collation: 'utf8mb4_general_ci', objects: [],
    tables: [
      { name: 'plain', ddl: 'CREATE TABLE `plain` (`id` int)', columns: ['id'], plain: true, bytes: 10, joins: [], recalculated: true },
      { name: 'gen', ddl: 'CREATE TABLE `gen` (`a` int, `b` int AS (a + 1))', columns: ['a'], plain: false, bytes: 20, joins: [], recalculated: true },
      { name: 's', ddl: 'CREATE SEQUENCE `s`', columns: ['next_not_cached_value'], plain: false, bytes: 0, joins: [], recalculated: false, sequence: true },
    ],
  }
  const byName = (fill: 'create-select' | 'insert-select', statistics: 'background' | 'analyze') =>
    new Map(copySteps(defs, 'clone', { fill, statistics }).tables.map((t) => [t.name, t]))

  it('on MariaDB makes and fills a plain table in one CREATE TABLE … SELECT; a table with a generated or invisible column, and a sequence, by CREATE then INSERT … SELECT', () => {
    const steps = byName('create-select', 'background')
    expect(steps.get('plain')).toMatchObject({ create: 'CREATE TABLE `plain` (`id` int) SELECT `id` FROM `tpl`.`plain`' })
    expect(steps.get('plain')!.rows).toBeUndefined()
    expect(steps.get('gen')).toMatchObject({ create: 'CREATE TABLE `gen` (`a` int, `b` int AS (a + 1))', rows: 'INSERT INTO `gen` (`a`) SELECT `a` FROM `tpl`.`gen`' })
    expect(steps.get('s')).toMatchObject({ create: 'CREATE SEQUENCE `s`', rows: 'INSERT INTO `s` (`next_not_cached_value`) SELECT `next_not_cached_value` FROM `tpl`.`s`' })
    expect([...steps.values()].some((t) => t.analyze)).toBe(false)
  })

  it('on MySQL makes every table, then fills it, then analyses those the server recalculates', () => {
    const steps = byName('insert-select', 'analyze')
    expect(steps.get('plain')).toMatchObject({ create: 'CREATE TABLE `plain` (`id` int)', rows: 'INSERT INTO `plain` (`id`) SELECT `id` FROM `tpl`.`plain`', analyze: 'ANALYZE NO_WRITE_TO_BINLOG TABLE `plain`' })
    expect(steps.get('s')!.analyze).toBeUndefined()
  })
})
