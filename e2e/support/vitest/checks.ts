/** What a passing Vitest run must show, as readable lines (empty = all good). */
import { manifestsLeft, sharedDoneProblems } from '../scenario.js'
import type { Project } from './fixture.js'
import type { ResultLine, RunResult } from './run.js'

/**
 * The contract, checked on `done` lines alone (one run or one watch rerun): each expected file reported
 * once, on the clone of its VITEST_POOL_ID, every pool id within the plan, one run id, no two files on one
 * database at the same time, and what inject('workerdb') gave each file.
 */
export function doneProblems(done: ResultLine[], opts: { prefix: string; files: string[]; planned: number }): string[] {
  const p = sharedDoneProblems(done, { ...opts, idName: 'VITEST_POOL_ID', idOf: (d) => d.poolId })
  for (const d of done) {
    if (d.clones! < opts.planned) p.push(`${d.file}: manifest lists ${d.clones} clones, the plan said ${opts.planned}`)
    if (d.provided !== undefined && (d.provided?.runId !== d.runId || d.provided?.database !== d.database)) {
      p.push(`${d.file}: inject('workerdb') gave ${JSON.stringify(d.provided)}, expected run ${d.runId} and ${d.database}`)
    }
  }
  return p
}

/**
 * Every way a run can break the contract: the run passed with every expected file (`opts.files`, default
 * all of the project's), each on its slot's clone, nothing left running, no manifest left behind.
 */
export function isolationProblems(project: Project, r: RunResult, opts: { files?: string[] } = {}): string[] {
  const files = opts.files ?? project.files
  const p: string[] = []
  if (r.code !== 0) p.push(`vitest exited with ${r.code ?? r.signal}`)
  if (!r.report) p.push('no JSON report')
  else {
    if (r.report.numFailedTests !== 0) p.push(`${r.report.numFailedTests} failed tests`)
    if (r.report.numPassedTests !== files.length) p.push(`${r.report.numPassedTests} passed tests, expected ${files.length}`)
  }
  if (!r.planned) p.push('no "workerdb · plan: N clones (…)" line on stderr')
  if (r.leftovers.length) p.push(`processes of the run were still alive after vitest exited: ${r.leftovers.join('; ')}`)
  const planned = r.planned?.count ?? 0
  p.push(...doneProblems(r.done, { prefix: project.prefix, files, planned }))
  for (const d of r.done) if (d.clones !== planned) p.push(`${d.file}: manifest lists ${d.clones} clones, stderr planned ${planned}`)
  p.push(...manifestsLeft(r.done))
  return [...new Set(p)]
}
