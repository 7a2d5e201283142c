import type { VitestFacts } from '@workerdb/core'
import { describe, expect, test } from 'vitest'
import { vitest3IsolationWarning } from '../src/runner/warnings.js'

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
