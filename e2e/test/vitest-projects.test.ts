/**
 * Vitest `projects`, with the workerdb plugin only in the root config:
 *   - a project with its own, larger `maxWorkers` (root 2, project 6; Vitest 4/5 require a distinct
 *     `sequence.groupOrder` for it): on Vitest 5 its files run on ids up to 6, each with a clone (the plan
 *     takes the largest maxWorkers of the projects with files). Vitest 4 hands one id to two running files
 *     when one group ends and the next starts: refused with E_SEQUENCE_GROUPS. Vitest 3 ignores it.
 *   - projects with `extends: true` (they inherit the plugin, so `configureVitest` adds the setup file) and
 *     without (no plugin: the root's globalSetup adds the setup file to them before their workers start).
 *   - two pool types at once: Vitest 3 numbers each pool's workers from 1, so they would share databases —
 *     workerdb refuses with E_MIXED_POOLS before anything is provisioned; Vitest 4/5 run one pool: it works.
 */
import { describe, expect, test } from 'vitest'
import {
  describeRun, expectIsolated, leftoverClones, runVitest, useScenarios, vitestMatrix, type Major, type Project,
} from '../support/harness.js'
import { testIf } from '../support/tier.js'

const scenarios = useScenarios()

function inline(name: string, test: Record<string, unknown>, extendsRoot: boolean) {
  return { ...(extendsRoot ? { extends: true } : {}), test: { name, include: [`test/${name}/**/*.test.mjs`], env: { E2E_PROJECT_NAME: name }, ...test } }
}

/** The root's own `include` would be merged into every `extends: true` project's: match nothing. */
const NO_ROOT_FILES = { include: ['no-root-files/**/*.test.mjs'] }

function addFiles(project: Project, sub: string, n: number) {
  for (let i = 1; i <= n; i++) project.addFile(`${sub}${String(i).padStart(2, '0')}`, `test/${sub}`)
}

describe.each([3, 4, 5] as const)('vitest %i', (major: Major) => {
  const wideScenario = major === 4 ? 'refused: E_SEQUENCE_GROUPS' : major === 3 ? 'project maxWorkers ignored (pool from root)' : 'project maxWorkers 6 > root 2'
  test('a project with its own maxWorkers (root 2, project 6)', () => vitestMatrix(major, { pool: 'forks', mode: 'projects', scenario: wideScenario }, async () => {
    const project = scenarios.project({
      vitest: major, files: 0, tag: `m${major}`, holdMs: 150,
      config: {
        ...NO_ROOT_FILES, pool: 'forks', maxWorkers: 2,
        projects: [
          inline('small', { sequence: { groupOrder: 0 } }, true),
          inline('wide', { maxWorkers: 6, sequence: { groupOrder: 1 } }, true),
        ],
      },
    })
    addFiles(project, 'small', 2)
    addFiles(project, 'wide', 6)
    const r = await runVitest(project)
    const info = describeRun(r)
    if (major === 4) {
      // Vitest 4 frees the small group's ids into the wide group's slots while wide files hold them: two files
      // ran at once on one VITEST_POOL_ID in 3 of 5 runs without this check. Refused before provisioning.
      expect(r.code, info).not.toBe(0)
      expect(r.output, info).toContain('E_SEQUENCE_GROUPS: this run has 2 sequence groups, run one after another: groupOrder 0 ("small"), then groupOrder 1 ("wide")')
      expect(r.output, info).toContain('Upgrade to Vitest 5')
      expect(r.planned, info).toBeUndefined()
      expect(r.lines, info).toEqual([])
    } else {
      expectIsolated(project, r)
      const wideIds = r.done.filter((d) => d.project === 'wide').map((d) => Number(d.poolId))
      const smallIds = r.done.filter((d) => d.project === 'small').map((d) => Number(d.poolId))
      expect(Math.max(...smallIds), info).toBeLessThanOrEqual(2)
      if (major === 5) {
        // One pool, one group per groupOrder: the wide group hands out ids 1..6, all 6 files at once.
        expect(r.planned?.count, info).toBe(6)
        expect(Math.max(...wideIds), info).toBeGreaterThan(2)
      } else {
        // Vitest 3 sizes its one forks pool from the root config: a project's maxWorkers does not widen it.
        expect(r.planned?.count, info).toBe(2)
        expect(Math.max(...wideIds), info).toBeLessThanOrEqual(2)
      }
    }
    expect(await leftoverClones(project.prefix)).toEqual([])
  }))

  // The same on every major: Vitest 4's run in every run, the others' in a full run (support/tier.ts).
  testIf(major === 4)('projects with and without `extends`, the plugin only in the root config', () => vitestMatrix(major, { pool: 'forks', mode: 'projects', scenario: 'extends: true and without' }, async () => {
    const project = scenarios.project({
      vitest: major, files: 0, tag: `e${major}`, holdMs: 60,
      config: {
        ...NO_ROOT_FILES, pool: 'forks', maxWorkers: 2,
        projects: [
          inline('ext', {}, true),
          // No `extends`: none of the root's options and no plugin; same pool size, so Vitest 4/5 can group it.
          inline('bare', { pool: 'forks', maxWorkers: 2 }, false),
        ],
      },
    })
    addFiles(project, 'ext', 2)
    addFiles(project, 'bare', 2)
    const r = await runVitest(project)
    expectIsolated(project, r)
    // Every file of both projects ran through workerdb's setup file (getWorkerDatabase() works only then).
    expect(r.done.filter((d) => d.project === 'bare').length, describeRun(r)).toBe(2)
    expect(r.done.filter((d) => d.project === 'ext').length, describeRun(r)).toBe(2)
    expect(r.planned?.reason, describeRun(r)).toContain('4 test files')
    expect(await leftoverClones(project.prefix)).toEqual([])
  }))

  test('a forks project and a threads project in one run', () => vitestMatrix(major, { pool: 'forks+threads', mode: 'projects', scenario: major === 3 ? 'refused: E_MIXED_POOLS' : 'one pool, shared ids' }, async () => {
    const project = scenarios.project({
      vitest: major, files: 0, tag: `x${major}`, holdMs: 100,
      config: {
        ...NO_ROOT_FILES, maxWorkers: 2,
        projects: [inline('forked', { pool: 'forks' }, true), inline('threaded', { pool: 'threads' }, true)],
      },
    })
    addFiles(project, 'forked', 2)
    addFiles(project, 'threaded', 2)
    const r = await runVitest(project)
    const info = describeRun(r)
    if (major === 3) {
      // Refused before anything was provisioned or any test file loaded, with the fix in the message.
      expect(r.code, info).not.toBe(0)
      expect(r.output, info).toContain('E_MIXED_POOLS')
      expect(r.output, info).toMatch(/this run uses the pools (forks and threads|threads and forks) at once; Vitest 3 numbers each pool's workers from 1/)
      expect(r.output, info).toContain('Run one pool type per `vitest` invocation')
      expect(r.planned, info).toBeUndefined()
      expect(r.lines, info).toEqual([])
    } else {
      expectIsolated(project, r)
      expect(r.planned?.reason, info).toMatch(/pool (forks\+threads|threads\+forks)/)
    }
    expect(await leftoverClones(project.prefix)).toEqual([])
  }))
})
