/**
 * The seed scenario on Jest, many times over: 2 files, maxWorkers 4. Jest forks 4 worker processes for
 * them, and which ids get the files is Jest's business: a plan that trusted the file count without
 * knowing that only ids 1..min(files, maxWorkers) can get one would fail now and then, so one passing run
 * proves little. Each run is cold (no timing cache), so every run really uses workers; `npm test` runs it once
 * per version and `npm run test:full` a few times (E2E_SEED_RUNS, support/tier.ts); `pnpm stress` runs hundreds.
 */
import { describe, expect, test } from 'vitest'
import {
  describeRun, dropDatabase, isolationProblems, JEST_VERSIONS, leftoverClones, runJest, useJestScenarios, type JestMajor, jestMatrixRow
} from '../support/jest-harness.js'
import { SEED_RUNS as RUNS } from '../support/tier.js'

const scenarios = useJestScenarios()

describe.each([29, 30] as const)('jest %i', (major: JestMajor) => {
  test(`2 files, maxWorkers 4: ${RUNS} runs, 0 failures`, async () => {
    jestMatrixRow(major, { mode: 'run', scenario: 'seed' })
    // One scenario dir and one prefix for all runs: the template is built once and reused after.
    const project = scenarios.project({ jest: major, files: 2, tag: `s${major}`, holdMs: 80, config: { maxWorkers: 4 } })
    const failures: string[] = []
    const ids = new Map<string, number>()
    const forked = new Map<number, number>()
    let inBand = 0
    const started = performance.now()
    for (let i = 1; i <= RUNS; i++) {
      // Cold every time: a warm timing cache would (rightly) flip these fast files to in band.
      project.forgetTimings()
      const r = await runJest(project)
      const problems = isolationProblems(project, r)
      if (r.planned?.count !== 2) problems.push(`planned ${r.planned?.count} clones, expected 2`)
      if (r.ran?.inBand) inBand++
      const left = await leftoverClones(project.prefix)
      if (left.length) problems.push(`clones left on the server after the run: ${left.join(', ')}`)
      if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) problems.push('the template was not reused')
      for (const d of r.done) {
        ids.set(d.workerId!, (ids.get(d.workerId!) ?? 0) + 1)
        if (!d.inBand) forked.set(d.siblings!, (forked.get(d.siblings!) ?? 0) + 1)
      }
      if (problems.length) {
        failures.push(`run ${i}:\n  - ${problems.join('\n  - ')}\n${describeRun(r)}`)
        for (const name of left) await dropDatabase(name)
      }
    }
    const fmt = (m: Map<unknown, number>) => [...m].sort().map(([k, n]) => `${k}×${n}`).join(' ')
    console.log(`jest ${JEST_VERSIONS[major]}: ${RUNS} runs, ${failures.length} failed, ${inBand} in band; JEST_WORKER_ID used ${fmt(ids)}; ` +
      `worker processes seen by files ${fmt(forked)}; ${Math.round((performance.now() - started) / RUNS)} ms per run`)
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
    // Cold runs of 2 files with maxWorkers 4 use workers: the scenario really exercised the pool.
    expect(inBand).toBe(0)
  })
})
