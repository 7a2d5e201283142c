/** What a passing Jest run must show, as readable lines (empty = all good). */
import { manifestsLeft, sharedDoneProblems } from '../scenario.js'
import type { JestProject } from './fixture.js'
import type { JestRunResult } from './run.js'

/**
 * Every way a run can break the contract: every file ran once and passed, each on the clone of its
 * JEST_WORKER_ID, all clones of one run of this prefix, worker ids within the plan (and only id 1 in
 * band), no two files on one database at the same time, nothing left running, no manifest left behind.
 */
export function isolationProblems(project: JestProject, r: JestRunResult, expectFiles = project.files): string[] {
  const p: string[] = []
  if (r.code !== 0) p.push(`jest exited with ${r.code ?? r.signal}`)
  if (!r.report) p.push('no JSON report')
  else {
    if (r.report.numFailedTests !== 0 || r.report.numFailedTestSuites !== 0) p.push(`${r.report.numFailedTests} failed tests, ${r.report.numFailedTestSuites} failed suites`)
    if (r.report.numPassedTests !== expectFiles.length) p.push(`${r.report.numPassedTests} passed tests, expected ${expectFiles.length}`)
  }
  if (!r.planned) p.push('no "workerdb · plan: N clones (…)" line on stderr')
  if (!r.ran) p.push('no "workerdb · jest …" summary line from the reporter')
  if (r.leftovers.length) p.push(`processes of the run were still alive after jest exited: ${r.leftovers.join('; ')}`)
  const planned = r.planned?.count ?? 0
  p.push(...sharedDoneProblems(r.done, { prefix: project.prefix, files: expectFiles, planned, idName: 'JEST_WORKER_ID', idOf: (d) => d.workerId }))
  for (const d of r.done) {
    if (d.clones !== planned) p.push(`${d.file}: manifest lists ${d.clones} clones, stderr planned ${planned}`)
    if (r.ran && d.inBand !== r.ran.inBand) p.push(`${d.file}: in band ${d.inBand}, but the reporter said in band ${r.ran.inBand}`)
    if (d.inBand && d.workerId !== '1') p.push(`${d.file}: in band with JEST_WORKER_ID ${d.workerId}`)
  }
  p.push(...manifestsLeft(r.done))
  return p
}
