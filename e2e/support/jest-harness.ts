/**
 * The Jest e2e harness: writes a small user project (a "scenario") inside a Jest fixture package, runs that
 * fixture's REAL jest binary in a child process group, and reads back what every test file saw.
 *
 * The mechanics live in jest/ (fixture, run, watch, checks; shared with `scripts/stress.mjs`), the
 * processes and the server in test-support/. This file adds what needs Vitest itself: the per-test-file
 * cleanup and the matrix rows recorded when a test finishes.
 */
import { relative } from 'node:path'
import { expect, onTestFinished } from 'vitest'
import { recordMatrix } from '../../test-support/matrix.js'
import { useScenarioCleanup } from './cleanup.js'
import { E2E_DIR } from './scenario.js'
import {
  describeRun, isolationProblems, JEST_VERSIONS, makeProject, sweepStale,
  type JestMajor, type JestProject, type JestProjectOptions, type JestRunResult,
} from './jest/index.js'

export * from '../../test-support/processes.js'
export * from '../../test-support/pg.js'
export { E2E_DIR, FIXTURES_DIR, MIGRATION_SQL, setProbeHold } from './scenario.js'
export * from './jest/index.js'

/** The scenario factory of one test file, whose scenarios are cleaned up after it (cleanup.ts). */
export function useJestScenarios(): { project(opts: JestProjectOptions): JestProject } {
  const cleaned = useScenarioCleanup<JestProject>(sweepStale)
  return { project: (opts) => cleaned(makeProject(opts)) }
}

export function expectIsolated(project: JestProject, r: JestRunResult, expectFiles?: string[]): void {
  const p = isolationProblems(project, r, expectFiles)
  if (p.length) throw new Error(`run in ${project.dir} broke isolation:\n  - ${p.join('\n  - ')}\n${describeRun(r)}`)
}

/**
 * Records this test's outcome as a Jest row of the README's fidelity matrix, once it has finished (so a
 * failure is recorded as one). Call it first thing in the test.
 */
export function jestMatrixRow(major: JestMajor, row: { mode: string; scenario: string; pool?: string }): void {
  const { testPath, currentTestName } = expect.getState()
  const id = testPath && currentTestName ? `${relative(E2E_DIR, testPath)} > ${currentTestName}` : undefined
  onTestFinished(({ task }) => {
    const failed = task.result?.state === 'fail'
    const skipped = task.result?.state === 'skip'
    recordMatrix({
      framework: 'jest', version: JEST_VERSIONS[major], pool: row.pool ?? 'workers', mode: row.mode, scenario: row.scenario,
      result: failed ? 'fail' : skipped ? 'skip' : 'pass', ...(failed ? { detail: String(task.result?.errors?.[0]?.message ?? '').split('\n')[0].slice(0, 200) } : {}),
      ...(id ? { id } : {}),
    })
  })
}
