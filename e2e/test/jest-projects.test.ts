/**
 * Jest configs beyond one plain project: `projects: [...]` (one provisioning per run, every project's files
 * mapped) and TypeScript test files through babel-jest.
 */
import { describe, expect, test } from 'vitest'
import { describeRun, expectIsolated, leftoverClones, runJest, useJestScenarios, type JestMajor, jestMatrixRow } from '../support/jest-harness.js'
import { tier } from '../support/tier.js'

const scenarios = useJestScenarios()

// Project "api" carries the preset itself; project "jobs" only adds the setup file, as the README says.
// The root preset supplies globalSetup/teardown, sequencer and reporter (root-only options in Jest).
const MULTI_PROJECT = `module.exports = {
  preset: '@workerdb/jest',
  maxWorkers: 3,
  cacheDirectory: __dirname + '/.jest-cache',
  projects: [
    { displayName: 'api', preset: '@workerdb/jest', testMatch: ['<rootDir>/api/**/*.test.js'], transform: {} },
    { displayName: 'jobs', testMatch: ['<rootDir>/jobs/**/*.test.js'], transform: {}, setupFiles: [require.resolve('@workerdb/jest/setup')] },
  ],
}
`

// Jest 29 in a full run only (support/tier.ts).
describe.each(tier<JestMajor>([29, 30], (major) => major === 30))('jest %i', (major: JestMajor) => {
  test('two projects in one config: one provisioning, every file of both on its own clone', async () => {
    jestMatrixRow(major, { mode: 'projects', scenario: 'two projects, one provisioning' })
    const project = scenarios.project({ jest: major, files: 5, tag: 'mp', holdMs: 100, dirs: ['api', 'jobs'], configSource: MULTI_PROJECT })
    const r = await runJest(project)
    expectIsolated(project, r)
    const info = describeRun(r)
    expect(r.planned, info).toEqual({ count: 3, reason: `jest ${major}, maxWorkers 3, 5 test files` })
    // The preset's globalSetup is listed by the root and by "api": Jest runs each distinct file once, and
    // workerdb provisions once per run whatever the count.
    expect(r.stderr.match(/workerdb · plan:/g)?.length, info).toBe(1)
    expect(r.stderr.match(/workerdb · dropping \d+ clones in the background/g)?.length, info).toBe(1)
    expect(r.stderr, info).not.toContain('without workerdb\'s setup file')
    const byProject = (p: string) => r.report!.testResults.filter((t) => t.name.includes(`/${p}/`) && t.status === 'passed').length
    expect([byProject('api'), byProject('jobs')], info).toEqual([3, 2])
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  test('a project without the setup file is named in a warning before any test runs', async () => {
    jestMatrixRow(major, { mode: 'projects', scenario: 'project without setup file warned' })
    const config = MULTI_PROJECT.replace(", setupFiles: [require.resolve('@workerdb/jest/setup')]", '')
    const project = scenarios.project({ jest: major, files: 2, tag: 'mw', holdMs: 20, dirs: ['api', 'jobs'], configSource: config })
    const r = await runJest(project)
    const info = describeRun(r)
    expect(r.stderr, info).toMatch(/warning: the test files of project "jobs" run without workerdb's setup file/)
    expect(r.stderr, info).not.toMatch(/project "api"/)
    // Its file had no database of its own (DATABASE_URL unset): it failed, the mapped one passed.
    expect(r.done.map((d) => d.file), info).toEqual(['file01'])
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  test('TypeScript test files through babel-jest', async () => {
    jestMatrixRow(major, { mode: 'run', scenario: 'TypeScript via babel-jest' })
    const project = scenarios.project({
      jest: major, files: 3, tag: 'ts', holdMs: 100, ext: 'ts',
      config: { maxWorkers: 3, transform: { '\\.ts$': 'babel-jest' } },
      extraFiles: {
        'babel.config.js': `module.exports = { presets: ['@babel/preset-typescript'], plugins: ['@babel/plugin-transform-modules-commonjs'] }\n`,
      },
    })
    const r = await runJest(project)
    expectIsolated(project, r)
    expect(r.planned?.count, describeRun(r)).toBe(3)
    expect(r.report!.testResults.every((t) => t.name.endsWith('.test.ts')), describeRun(r)).toBe(true)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
