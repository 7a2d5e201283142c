/**
 * `test.env` in the user's vitest config cannot point tests at the wrong database: workerdb's setup file
 * runs in the worker after Vitest applied test.env, and overrides DATABASE_URL with the worker's clone.
 */
import { describe, expect, test } from 'vitest'
import { expectIsolated, leftoverClones, runVitest, useScenarios, type Major } from '../support/harness.js'

const scenarios = useScenarios()

describe.each([4, 3] as const)('vitest %i', (major: Major) => {
  test('test.env DATABASE_URL is overridden with the worker\'s clone', async () => {
    const project = scenarios.project({ tag: `v${major}`,
      vitest: major, files: 3, holdMs: 50,
      config: { pool: 'forks', maxWorkers: 2, env: { DATABASE_URL: 'postgresql://wrong@nowhere/db' } },
    })
    // The runner's own environment says the same wrong thing: it must not win either.
    const r = await runVitest(project, { env: { DATABASE_URL: 'postgresql://wrong@nowhere/db' } })
    expectIsolated(project, r)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
