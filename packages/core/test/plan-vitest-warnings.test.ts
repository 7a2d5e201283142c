import type { VitestFacts } from '../src/plan/vitest.js'
import { describe, expect, test } from 'vitest'
import { vitest3IsolationWarning, vitest4SequenceGroups, type SpecGroupFacts } from '../src/plan/vitest.js'

const base = (over: Partial<VitestFacts & { minWorkers?: number; isolate?: boolean }> = {}) => ({
  major: 3, watch: false, cpus: 2, fileParallelism: true, maxWorkers: 4,
  projects: [{ name: '', pool: 'forks', specCount: 5 }], ...over,
})

describe('vitest3IsolationWarning', () => {
  test('warns for forks with isolate false and fewer pre-started workers than the maximum, naming the fix', () => {
    const w = vitest3IsolationWarning(base({ poolOptions: { forks: { isolate: false } as never } }))
    expect(w).toContain('1 pre-started of 4 forks workers')
    expect(w).toContain('poolOptions.forks.minForks: 4')
  })

  test('top-level isolate: false counts too, and threads name minThreads', () => {
    const w = vitest3IsolationWarning(base({ isolate: false, projects: [{ name: '', pool: 'threads', specCount: 2 }] }))
    expect(w).toContain('poolOptions.threads.minThreads: 4')
  })

  test('silent when min equals max, isolation is on, Vitest is 4+, files run one at a time, or the pool is a vm pool', () => {
    expect(vitest3IsolationWarning(base({ poolOptions: { forks: { isolate: false, minForks: 4 } as never } }))).toBeUndefined()
    expect(vitest3IsolationWarning(base({ isolate: false, minWorkers: 4 }))).toBeUndefined()
    expect(vitest3IsolationWarning(base())).toBeUndefined()
    expect(vitest3IsolationWarning(base({ major: 4, isolate: false }))).toBeUndefined()
    expect(vitest3IsolationWarning(base({ isolate: false, fileParallelism: false }))).toBeUndefined()
    expect(vitest3IsolationWarning(base({ isolate: false, projects: [{ name: '', pool: 'vmForks', specCount: 3 }] }))).toBeUndefined()
  })

  test('the default minimum comes from the core count, as in Vitest 3: on 8 cores and maxWorkers 4 there is nothing to warn about', () => {
    expect(vitest3IsolationWarning(base({ cpus: 8, isolate: false }))).toBeUndefined()
    expect(vitest3IsolationWarning(base({ cpus: 2, isolate: false }))).toContain('1 pre-started of 4')
  })
})

describe('vitest4SequenceGroups', () => {
  const spec = (project: string, over: Partial<SpecGroupFacts> = {}): SpecGroupFacts =>
    ({ project, pool: 'forks', groupOrder: 0, isolate: true, maxWorkers: 2, ...over })

  test('two groupOrders on Vitest 4: the groups, in run order', () => {
    expect(vitest4SequenceGroups(4, [spec('wide', { groupOrder: 1, maxWorkers: 6 }), spec('small'), spec('small')]))
      .toEqual(['groupOrder 0 ("small")', 'groupOrder 1 ("wide")'])
  })

  test('a maxWorkers: 1 project runs in its own group after the others', () => {
    expect(vitest4SequenceGroups(4, [spec('one', { maxWorkers: 1 }), spec('many')]))
      .toEqual(['groupOrder 0 ("many")', 'maxWorkers 1 ("one")'])
  })

  test('one group, type checks after the only worker group, and other majors: nothing to report', () => {
    expect(vitest4SequenceGroups(4, [spec('a'), spec('b')])).toBeUndefined()
    expect(vitest4SequenceGroups(4, [spec('a'), spec('t', { pool: 'typescript', groupOrder: 0 })])).toBeUndefined()
    // fileParallelism: false makes every project maxWorkers 1: all in the one sequential group.
    expect(vitest4SequenceGroups(4, [spec('a', { maxWorkers: 1 }), spec('b', { maxWorkers: 1 })])).toBeUndefined()
    expect(vitest4SequenceGroups(5, [spec('a'), spec('b', { groupOrder: 1 })])).toBeUndefined()
    expect(vitest4SequenceGroups(3, [spec('a'), spec('b', { groupOrder: 1 })])).toBeUndefined()
  })
})
