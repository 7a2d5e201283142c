/**
 * Vitest 5 (e2e/fixtures/vitest5, the latest 5.x) under Node 22 (its engines: ^22.12 || ^24 || >=26), run as
 * `npx -y -p node@22` resolved it once for this file. What its source says and these runs prove:
 *   - VITEST_POOL_ID is still the lowest free slot 1..maxWorkers of the task's group (`Pool.getConcurrencyId`,
 *     same rules as 4.x): the planner's v4 rules hold, min(files, maxWorkers) in `run`.
 *   - VITEST_WORKER_ID is now 1-based (`let workerId = 1` in executeTests; 0 in 4.x). workerdb never maps it.
 *   - `configureVitest`, reporters' `onTestRunStart` before globalSetup, and `project.provide` work as in 4.x.
 *   - Unlike 3/4, Vitest 5 applies `--shard` in `start()`, before `onTestRunStart`: see vitest-shard.test.ts.
 * 1/3/7 files and the other pools on Vitest 5: pools.test.ts; watch, projects, shards: vitest-*.test.ts.
 */
import { describe, expect, test } from 'vitest'
import {
  describeRun, dropDatabase, isolationProblems, leftoverClones, node22Path, runVitest, useScenarios,
  VITEST_VERSIONS, vitestMatrix,
} from '../support/harness.js'
import { SEED_RUNS } from '../support/tier.js'

const RUNS = Number(process.env.E2E_SEED_RUNS_V5 ?? SEED_RUNS)
const scenarios = useScenarios()

describe('vitest 5', () => {
  test('the fixture runs vitest 5 on node 22', async () => {
    expect(VITEST_VERSIONS[5].split('.')[0]).toBe('5')
    const node = node22Path()
    const { execFileSync } = await import('node:child_process')
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(/^v22\./)
  })

  test(`seed: 2 files, maxWorkers 4, forks: ${RUNS} runs, 0 failures`, () => vitestMatrix(5, { pool: 'forks', mode: 'run', scenario: 'seed' }, async () => {
    const project = scenarios.project({ vitest: 5, files: 2, tag: 's5', holdMs: 80, config: { pool: 'forks', maxWorkers: 4 } })
    const failures: string[] = []
    const poolIds = new Map<string, number>()
    for (let i = 1; i <= RUNS; i++) {
      const r = await runVitest(project, { timeoutMs: 60_000 })
      const problems = isolationProblems(project, r)
      const left = await leftoverClones(project.prefix)
      if (left.length) problems.push(`clones left on the server after the run: ${left.join(', ')}`)
      if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) problems.push('the template was not reused')
      if (r.planned?.count !== 2) problems.push(`planned ${r.planned?.count} clones, expected min(2 files, maxWorkers 4) = 2`)
      // Vitest 5 numbers VITEST_WORKER_ID from 1 (Vitest 4: from 0).
      const workerIds = r.done.map((d) => Number(d.workerId)).sort()
      if (r.done.length === 2 && workerIds.join() !== '1,2') problems.push(`VITEST_WORKER_ID ${workerIds.join()}, expected 1,2`)
      for (const d of r.done) poolIds.set(d.poolId!, (poolIds.get(d.poolId!) ?? 0) + 1)
      if (problems.length) {
        failures.push(`run ${i}:\n  - ${problems.join('\n  - ')}\n${describeRun(r)}`)
        for (const name of left) await dropDatabase(name)
      }
    }
    console.log(`vitest 5: ${RUNS} runs, ${failures.length} failed, pool ids used ${[...poolIds].sort().map(([id, n]) => `${id}×${n}`).join(' ')}`)
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
  }))
})
