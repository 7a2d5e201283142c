/**
 * A warm run runs no migration: the second run of the same project reuses the sealed template, and its
 * tests see the very row the first build's migration wrote (clock_timestamp() and txid of that build).
 */
import { describe, expect, test } from 'vitest'
import { describeRun, expectIsolated, leftoverClones, runVitest, useScenarios, type Major } from '../support/harness.js'
import { tier } from '../support/tier.js'

const scenarios = useScenarios()

// Vitest 3 in a full run only (support/tier.ts): nothing here differs by major.
describe.each(tier<Major>([4, 3], (major) => major === 4))('vitest %i', (major: Major) => {
  test('the second run reuses the template and runs no migration', async () => {
    const project = scenarios.project({ tag: `t${major}`, vitest: major, files: 3, holdMs: 50, config: { pool: 'forks', maxWorkers: 2 } })

    const cold = await runVitest(project)
    expectIsolated(project, cold)
    const built = /workerdb · template (\w+): built in \d+ ms \(1 migration\)/.exec(cold.stderr)
    expect(built, describeRun(cold)).not.toBeNull()

    const warm = await runVitest(project)
    expectIsolated(project, warm)
    expect(warm.stderr, describeRun(warm)).toContain(`workerdb · template ${built![1]}: reused`)
    expect(warm.stderr).not.toMatch(/built in/)

    // The migration's side effect is the first build's, unchanged: nothing re-ran it.
    const seeds = new Set([...cold.done, ...warm.done].map((d) => JSON.stringify(d.seed)))
    expect(seeds.size, `${[...seeds].join('\n')}`).toBe(1)
    expect(cold.done[0]!.template!.reused).toBe(false)
    expect(warm.done.every((d) => d.template!.reused && d.template!.name === cold.done[0]!.template!.name)).toBe(true)
    // Different runs, different clones.
    expect(warm.done[0]!.runId).not.toBe(cold.done[0]!.runId)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
