/**
 * e2e harness: writes a small user project (a "scenario") inside a fixture package, runs the REAL vitest
 * binary of that fixture in a child process group, and reads back what every test file saw.
 *
 * The mechanics live in `scenario.mjs` (plain JavaScript, shared with `scripts/stress.mjs`; types in
 * `scenario.d.mts`): scenario files, running vitest (and watch mode on a pseudo-terminal), the isolation
 * checks, the server helpers. This file adds what needs Vitest itself: the per-test-file cleanup.
 */
import { relative } from 'node:path'
import { afterAll, afterEach, expect } from 'vitest'
import {
  dropPrefix, E2E_DIR, isolationProblems, killAll, makeProject, sweepStale, uniquePrefix, VITEST_VERSIONS,
  describeRun, type Major, type Project, type ProjectOptions, type RunResult,
} from './scenario.mjs'
import { withMatrix, type MatrixRow } from './matrix.mjs'

export * from './scenario.mjs'
export { recordMatrix, withMatrix, type MatrixRow } from './matrix.mjs'

/**
 * Registers the cleanup of one test file and returns its scenario factory: after each test the process
 * groups of its runs are killed and its scenario dirs removed (pass or fail); after the file, every
 * database of its prefixes (templates too) is dropped, and leftovers of e2e runs that died are swept.
 */
export function useScenarios(): { project(o: ProjectOptions & { tag?: string }): Project } {
  const prefixes = new Set<string>()
  const projects = new Set<Project>()
  afterEach(() => {
    killAll()
    for (const p of projects) p.remove()
    projects.clear()
  })
  afterAll(async () => {
    killAll()
    for (const p of prefixes) await dropPrefix(p)
    await sweepStale()
  })
  return {
    project(o) {
      const prefix = o.prefix ?? uniquePrefix(o.tag ?? `x${o.vitest}`)
      prefixes.add(prefix)
      const p = makeProject({ ...o, prefix })
      projects.add(p)
      return p
    },
  }
}

export function expectIsolated(project: Project, r: RunResult, o: { files?: string[] } = {}): void {
  const p = isolationProblems(project, r, o)
  if (p.length) throw new Error(`run in ${project.dir} broke isolation:\n  - ${p.join('\n  - ')}\n${describeRun(r)}`)
}

/** A Vitest row of the fidelity matrix: records pass/fail of `fn` for this major's fixture version. */
export function vitestMatrix<T>(major: Major, row: Omit<MatrixRow, 'framework' | 'version' | 'id'>, fn: () => Promise<T>): Promise<T> {
  const { testPath, currentTestName } = expect.getState()
  const id = testPath && currentTestName ? `${relative(E2E_DIR, testPath)} > ${currentTestName}` : undefined
  return withMatrix({ framework: 'vitest', version: VITEST_VERSIONS[major], ...row, ...(id ? { id } : {}) }, fn)
}
