/**
 * The seed scenario, many times over: 2 files, maxWorkers 4, pool forks. A plan sized to the file count
 * (2) while the pool can hand out ids up to 4 is exactly the bug workerdb exists to avoid; it shows up only
 * now and then (which ids a run gets varies), so one passing run proves little. `npm test` runs it once
 * per version and `npm run test:full` a few times (E2E_SEED_RUNS, support/tier.ts), to stay within their
 * time budgets; `pnpm stress` runs it hundreds of times.
 */
import { describe, expect, test } from 'vitest'
import {
  describeRun, dropDatabase, isolationProblems, leftoverClones, runVitest, useScenarios, vitestMatrix, type Major,
} from '../support/harness.js'
import { SEED_RUNS as RUNS } from '../support/tier.js'

const scenarios = useScenarios()

describe.each([4, 3] as const)('vitest %i', (major: Major) => {
  test(`2 files, maxWorkers 4, forks: ${RUNS} runs, 0 failures`, () => vitestMatrix(major, { pool: 'forks', mode: 'run', scenario: 'seed' }, async () => {
    // One scenario dir and one prefix for all runs: the template is built once and reused after.
    const project = scenarios.project({ vitest: major, files: 2, tag: `s${major}`, holdMs: 80, config: { pool: 'forks', maxWorkers: 4 } })
    const failures: string[] = []
    const poolIds = new Map<string, number>()
    const started = performance.now()
    for (let i = 1; i <= RUNS; i++) {
      const r = await runVitest(project, { timeoutMs: 60_000 })
      const problems = isolationProblems(project, r)
      const left = await leftoverClones(project.prefix)
      if (left.length) problems.push(`clones left on the server after the run: ${left.join(', ')}`)
      if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) problems.push('the template was not reused')
      for (const d of r.done) poolIds.set(d.poolId!, (poolIds.get(d.poolId!) ?? 0) + 1)
      if (problems.length) {
        failures.push(`run ${i}:\n  - ${problems.join('\n  - ')}\n${describeRun(r)}`)
        // Start the next run from the same state.
        for (const name of left) await dropDatabase(name)
      }
    }
    const ids = [...poolIds].sort().map(([id, n]) => `${id}×${n}`).join(' ')
    console.log(`vitest ${major}: ${RUNS} runs, ${failures.length} failed, pool ids used ${ids}, ${Math.round((performance.now() - started) / RUNS)} ms per run`)
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
  }))
})
