/** Running a Jest scenario to its end: the fixture's jest binary in a process group of its own. */
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { runGroup } from '../../../test-support/processes.js'
import { childEnv, cut, plannedFrom, readJson, readLines, type BaseResultLine } from '../scenario.js'
import { jestBin, type JestProject } from './fixture.js'

export interface ResultLine extends BaseResultLine {
  ppid?: number
  /** Processes sharing the file's parent: Jest's worker processes, when not in band. */
  siblings?: number
  /** Set by the harness: the file ran in Jest's main process. */
  inBand?: boolean
}

export interface JestJsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  numTotalTestSuites: number
  numFailedTestSuites: number
  numRuntimeErrorTestSuites: number
  success: boolean
  testResults: Array<{ name: string; status: string; message: string }>
}

export interface JestRunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  output: string
  report: JestJsonReport | undefined
  lines: ResultLine[]
  done: ResultLine[]
  ms: number
  /** Processes of the run's process group still alive when jest itself had exited ("pid command"). */
  leftovers: string[]
  /** From workerdb's line `plan: N clones (reason)`. */
  planned: { count: number; reason: string } | undefined
  /** From the reporter's line: whether Jest ran the files in band, and the worker count it named. */
  ran: { inBand: boolean; workers: number } | undefined
  runId: string | undefined
}

export interface JestRunOptions {
  args?: string[]
  /** Extra env; `undefined` values delete. By default WORKERDB_URL is the test server. */
  env?: Record<string, string | undefined>
  timeoutMs?: number
  /** Names this run's results and report files apart (for runs of one scenario at the same time). */
  tag?: string
}

export async function runJest(project: JestProject, opts: JestRunOptions = {}): Promise<JestRunResult> {
  const named = (file: string) => (opts.tag ? file.replace(/(\.\w+)$/, `-${opts.tag}$1`) : file)
  const reportFile = named(project.reportFile)
  const resultsFile = named(project.resultsFile)
  rmSync(reportFile, { force: true })
  writeFileSync(resultsFile, '')
  const args = [jestBin(project.jest), '--json', `--outputFile=${reportFile}`, ...(opts.args ?? [])]
  const timeoutMs = opts.timeoutMs ?? 90_000
  const { pid, code, signal, timedOut, stdout, stderr, leftovers, ms } = await runGroup(process.execPath, args, {
    cwd: project.dir, env: childEnv(opts.env, resultsFile, false), timeoutMs,
  })
  if (timedOut) {
    throw new Error(`jest ${project.jest} did not finish within ${timeoutMs} ms in ${project.dir}; processes: ${leftovers.join('; ')}\n--- stderr\n${stderr.slice(-4000)}`)
  }
  const report = existsSync(reportFile) ? readJson<JestJsonReport>(reportFile) : undefined
  const lines = readLines<ResultLine>(resultsFile)
  const ran = /workerdb · jest \S+: (?:(in band)|(\d+) workers?)[ ,]/.exec(stderr)
  const done = lines.filter((l) => l.event === 'done')
  for (const d of done) d.inBand = d.pid === pid
  const result: JestRunResult = {
    code, signal, stdout, stderr, output: `${stdout}\n${stderr}`, report, lines, done, leftovers, ms,
    planned: plannedFrom(stderr),
    ran: ran ? { inBand: Boolean(ran[1]), workers: ran[1] ? 1 : Number(ran[2]) } : undefined,
    runId: done[0]?.runId,
  }
  if (process.env.E2E_VERBOSE === '1') console.log(`jest ${project.jest} in ${project.dir}\n${describeRun(result)}`)
  return result
}

/** A compact description of a run for failure messages. */
export function describeRun(r: JestRunResult): string {
  return [
    `exit ${r.code ?? r.signal} after ${r.ms} ms; report: ${r.report ? `${r.report.numPassedTests} passed, ${r.report.numFailedTests} failed, ${r.report.numFailedTestSuites} suites failed` : 'none'}`,
    `--- stderr\n${cut(r.stderr)}`,
    `leftover processes: ${r.leftovers.join('; ') || 'none'}`,
    `--- results\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}`,
  ].join('\n')
}
