/**
 * When the pool starts more workers than the plan made clones for, the extra workers fail in workerdb's
 * setup file with E_NO_CLONE — what was planned, why, and the fix — before any test module loads, never
 * with a driver error at the first query.
 *
 * To make a real pool outgrow the plan without touching workerdb, a second plugin's globalSetup (which
 * runs after workerdb's, which planned with maxWorkers 1) raises maxWorkers to 4. Vitest 4 reads maxWorkers
 * when it schedules the files (`resolveMaxWorkers` in executeTests), after globalSetup, so 4 workers start.
 */
import { expect, test } from 'vitest'
import { describeRun, leftoverClones, runVitest, useScenarios } from '../support/harness.js'

const scenarios = useScenarios()

const GROW_POOL = `// Runs after workerdb's globalSetup: the plan is made, now the pool grows past it.
export default function growPool(project) {
  project.vitest.config.maxWorkers = 4
  project.config.maxWorkers = 4
}
`

test('vitest 4: a pool larger than the plan fails with E_NO_CLONE before any test runs', async () => {
  const project = scenarios.project({ tag: 'n4',
    vitest: 4, files: 4, holdMs: 300,
    config: { pool: 'forks', maxWorkers: 1 },
    plugins: [`{ name: 'grow-pool', config: () => ({ test: { globalSetup: ['./grow-pool.mjs'] } }) }`],
    extraFiles: { 'grow-pool.mjs': GROW_POOL },
  })
  const r = await runVitest(project)
  const info = describeRun(r)

  expect(r.code, info).not.toBe(0)
  expect(r.planned, info).toEqual({ count: 1, reason: 'vitest 4, pool forks, maxWorkers 1, 4 test files' })
  expect(r.output, info).toContain('E_NO_CLONE')
  const m = /worker (\d+) has no database — this run planned 1 clone \(vitest 4, pool forks, maxWorkers 1, 4 test files\) but the pool started worker (\d+)/.exec(r.output)
  expect(m, info).not.toBeNull()
  expect(Number(m![1])).toBeGreaterThan(1)
  expect(m![2]).toBe(m![1])
  expect(r.output, info).toContain('Cap the pool at 1 (e.g. maxWorkers: 1)')
  // Never a driver error instead.
  expect(r.output, info).not.toMatch(/database "[^"]*" does not exist/)

  // The files that failed never loaded, so never queried; the ones that ran were on clone 1.
  const failed = (r.report?.testResults ?? []).filter((t) => t.status === 'failed').map((t) => /(file\d+)\.test\.mjs$/.exec(t.name)![1]!)
  expect(failed.length, info).toBeGreaterThan(0)
  for (const f of failed) expect(r.lines.filter((l) => l.file === f), `${f} failed but wrote results\n${info}`).toEqual([])
  for (const d of r.done) {
    expect(d.poolId, info).toBe('1')
    expect(d.locked, info).toBe(true)
  }
  expect(r.done.length + failed.length, info).toBe(4)
  // The failure does not leak clones either.
  expect(await leftoverClones(project.prefix)).toEqual([])
})
