/**
 * When things go wrong on Jest: a worker without a clone fails early with E_NO_CLONE (before any test
 * module loads), and clones that a run could not drop (Jest 29 skips globalTeardown after --bail) are
 * swept by the next run.
 */
import { rmSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { manifestPathFor } from '../../packages/core/src/runfile/manifest.js'
import { databasesWithPrefix, describeRun, expectIsolated, leftoverClones, runJest, useJestScenarios, type JestMajor, jestMatrixRow } from '../support/jest-harness.js'
import { tier } from '../support/tier.js'

const scenarios = useJestScenarios()


// Piece by piece (as the README shows it, with the user's own globalSetup calling workerdb's), and a
// sequencer that lies: it lets workerdb count one file and hands Jest all of them. workerdb plans 1 clone,
// Jest forks 4 workers for the 4 files: the honest way to make a pool outgrow the plan without touching
// workerdb (a real plan never should).
const PIECES = {
  maxWorkers: 4,
  globalSetup: '<rootDir>/global-setup.js',
  globalTeardown: '@workerdb/jest/global-teardown',
  setupFiles: ['@workerdb/jest/setup'],
  testSequencer: '<rootDir>/lying-sequencer.js',
  reporters: ['default', '@workerdb/jest/reporter'],
}
const USER_GLOBAL_SETUP = `const workerdb = require('@workerdb/jest/global-setup')

module.exports = async (globalConfig, projectConfig) => {
  await workerdb(globalConfig, projectConfig)
  require('node:fs').appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: 'global-setup', event: 'user-setup', manifest: process.env.WORKERDB_MANIFEST }) + '\\n')
}
`
const LYING_SEQUENCER = `const Sequencer = require('@workerdb/jest/sequencer')

module.exports = class LyingSequencer extends Sequencer {
  async sort(tests) {
    await super.sort(tests.slice(0, 1))
    return tests
  }
}
`

// Jest 29 in a full run only (support/tier.ts); its --bail without globalTeardown is also in reliability-chaos.
describe.each(tier<JestMajor>([29, 30], (major) => major === 30))('jest %i', (major: JestMajor) => {
  test('forced E_NO_CLONE: the message names the worker, the plan and the fix, and no test reaches a query', async () => {
    jestMatrixRow(major, { mode: 'run', scenario: 'forced E_NO_CLONE' })
    const project = scenarios.project({
      jest: major, files: 4, tag: 'nc', holdMs: 300,
      config: { preset: undefined, ...PIECES },
      extraFiles: { 'lying-sequencer.js': LYING_SEQUENCER, 'global-setup.js': USER_GLOBAL_SETUP },
    })
    const r = await runJest(project)
    const info = describeRun(r)
    expect(r.code, info).not.toBe(0)
    // The user's globalSetup ran after workerdb's, with the manifest already in place.
    expect(r.lines.filter((l) => (l.event as string) === 'user-setup' && l.manifest), info).toHaveLength(1)
    expect(r.planned, info).toEqual({ count: 1, reason: `jest ${major}, maxWorkers 4, 1 test file` })
    const failed = (r.report?.testResults ?? []).filter((t) => t.status === 'failed')
    expect(failed.length, info).toBeGreaterThan(0)
    for (const t of failed) {
      const m = /E_NO_CLONE: worker (\d+) has no database — this run planned 1 clone \(jest \d+, maxWorkers 4, 1 test file\) but the pool started worker (\d+)/.exec(t.message)
      expect(m, `${t.name}: ${t.message}\n${info}`).not.toBeNull()
      expect(Number(m![1])).toBeGreaterThan(1)
      expect(m![2]).toBe(m![1])
      expect(t.message).toContain('Cap the pool at 1 (e.g. maxWorkers: 1)')
      // The file's module never loaded: it wrote nothing, so it never queried.
      const file = /(file\d+)\.test\.js$/.exec(t.name)![1]
      expect(r.lines.filter((l) => l.file === file), `${file} failed but wrote results\n${info}`).toEqual([])
    }
    expect(r.output, info).not.toMatch(/database "[^"]*" does not exist/)
    // The files that did run were on worker 1, the one clone.
    for (const d of r.done) expect([d.workerId, d.locked], info).toEqual(['1', true])
    expect(r.done.length + failed.length, info).toBe(4)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })

  test('preset kept, globalSetup replaced by the project\'s own: every file fails saying so, with the CommonJS and ESM fix', async () => {
    const project = scenarios.project({
      jest: major, files: 2, tag: 'gr', holdMs: 50,
      config: { maxWorkers: 2, globalSetup: '<rootDir>/own-global-setup.js' },
      extraFiles: { 'own-global-setup.js': 'module.exports = async () => { process.env.APP_READY = "1" }\n' },
    })
    const r = await runJest(project)
    const info = describeRun(r)
    expect(r.code, info).not.toBe(0)
    const failed = (r.report?.testResults ?? []).filter((t) => t.status === 'failed')
    expect(failed.length, info).toBe(2)
    for (const t of failed) {
      expect(t.message, info).toMatch(/E_NO_MANIFEST: workerdb's globalSetup did not run: the globalSetup \S*own-global-setup\.js replaced the preset's/)
      expect(t.message, info).toContain("require('@workerdb/jest/global-setup')")
      expect(t.message, info).toContain("import workerdb from '@workerdb/jest/global-setup'")
    }
    // Said once by the reporter too, before any file ran.
    expect(r.output.match(/workerdb's globalSetup did not run/g)?.length, info).toBeGreaterThanOrEqual(1)
    expect(r.done, info).toEqual([])
  })

  test('--bail: Jest 29 skips globalTeardown and the next run sweeps; Jest 30 tears down before it exits', async () => {
    jestMatrixRow(major, { mode: 'bail', scenario: '--bail, next run sweeps' })
    const project = scenarios.project({
      jest: major, files: 3, tag: 'bl', holdMs: 400,
      config: { maxWorkers: 4 },
      extraFiles: { 'test/fails.test.js': `test('fails at once', () => { expect(1).toBe(2) })\n` },
    })
    const bailed = await runJest(project, { args: ['--bail'] })
    const info = describeRun(bailed)
    expect(bailed.code, info).not.toBe(0)
    const left = await leftoverClones(project.prefix)
    if (major === 29) {
      // Jest 29 exits from the bail without globalTeardown: the clones stay, marked with a dead pid.
      expect(bailed.stderr, info).not.toContain('workerdb · dropping')
      expect(left.length, info).toBe(4)
    } else {
      // Jest 30 runs globalTeardown from the bail (once per failure past the threshold) and exits when it
      // returns: every call waits for the one teardown, so nothing is left.
      expect(bailed.stderr, info).toContain('workerdb · dropping 4 clones in the background')
      expect(left, info).toEqual([])
    }

    const next = await runJest(project, { args: ['--testPathIgnorePatterns', 'fails'] })
    expectIsolated(project, next)
    if (left.length) expect(next.stderr, describeRun(next)).toContain(`swept ${left.length} clones left by dead runs`)
    // The sweep drops databases only; the skipped teardown also left the run's manifest in the temp dir.
    for (const runId of new Set(left.map((name) => name.split('_')[1]!))) rmSync(manifestPathFor(runId), { force: true })
    expect(await leftoverClones(project.prefix)).toEqual([])
    // The template is kept across all of it.
    expect((await databasesWithPrefix(project.prefix)).filter((d) => d.includes('_tpl_')).length).toBe(1)
  })
})
