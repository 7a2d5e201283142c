/**
 * The Vitest e2e harness: writes a small user project (a "scenario") inside a fixture package, runs the REAL
 * vitest binary of that fixture in a child process group, and reads back what every test file saw.
 *
 * The mechanics live in vitest/ (fixture, run, watch, checks; shared with `scripts/stress.mjs`), the
 * processes and the server in test-support/. This file adds what needs Vitest itself: the per-test-file
 * cleanup and the matrix rows.
 */
import { relative } from 'node:path'
import { expect } from 'vitest'
import { withMatrix, type MatrixRow } from '../../test-support/matrix.js'
import { useScenarioCleanup } from './cleanup.js'
import { E2E_DIR } from './scenario.js'
import {
  describeRun, isolationProblems, makeProject, sweepStale, uniquePrefix, VITEST_VERSIONS,
  type Major, type Project, type ProjectOptions, type RunResult,
} from './vitest/index.js'

export * from '../../test-support/processes.js'
export * from '../../test-support/pg.js'
export { recordMatrix, withMatrix, type MatrixRow } from '../../test-support/matrix.js'
export { childEnv, E2E_DIR, E2E_PREFIX_START, FIXTURES_DIR, MIGRATION_SQL, node22Path, plannedFrom, readLines, setProbeHold, type BaseResultLine } from './scenario.js'
export * from './vitest/index.js'

/** The scenario factory of one test file, whose scenarios are cleaned up after it (cleanup.ts). */
export function useScenarios(): { project(opts: ProjectOptions & { tag?: string }): Project } {
  const cleaned = useScenarioCleanup<Project>(sweepStale)
  return {
    project: (opts) => cleaned(makeProject({ ...opts, prefix: opts.prefix ?? uniquePrefix(opts.tag ?? `x${opts.vitest}`) })),
  }
}

export function expectIsolated(project: Project, r: RunResult, opts: { files?: string[] } = {}): void {
  const p = isolationProblems(project, r, opts)
  if (p.length) throw new Error(`run in ${project.dir} broke isolation:\n  - ${p.join('\n  - ')}\n${describeRun(r)}`)
}

/** A Vitest row of the fidelity matrix: records pass/fail of `fn` for this major's fixture version. */
export function vitestMatrix<T>(major: Major, row: Omit<MatrixRow, 'framework' | 'version' | 'id'>, fn: () => Promise<T>): Promise<T> {
  const { testPath, currentTestName } = expect.getState()
  const id = testPath && currentTestName ? `${relative(E2E_DIR, testPath)} > ${currentTestName}` : undefined
  return withMatrix({ framework: 'vitest', version: VITEST_VERSIONS[major], ...row, ...(id ? { id } : {}) }, fn)
}
