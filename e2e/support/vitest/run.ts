/** Running a Vitest scenario to its end: the fixture's vitest binary in a process group of its own. */
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runGroup } from '../../../test-support/processes.js'
import { childEnv, cut, plannedFrom, readJson, readLines, type BaseResultLine } from '../scenario.js'
import { nodeFor, vitestBin, type Project } from './fixture.js'

export interface ResultLine extends BaseResultLine {
  poolId?: string
  /** The server's data_directory, as the test saw it. */
  dataDir?: string
  /** E2E_PROJECT_NAME from the project's `test.env`, when a scenario sets it. */
  project?: string | null
  /** inject('workerdb') in the test: run id, planned count, and the database it lists for this slot. */
  provided?: { runId?: string; count?: number; database?: string | null; error?: string } | null
}

export interface JsonReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  numTotalTestSuites: number
  numFailedTestSuites: number
  success: boolean
  testResults: Array<{ name: string; status: string; message: string }>
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** stdout + stderr, for matching messages wherever vitest printed them. */
  output: string
  report: JsonReport | undefined
  lines: ResultLine[]
  done: ResultLine[]
  ms: number
  /** Processes of the run's process group still alive when vitest itself had exited ("pid command"). */
  leftovers: string[]
  /** From workerdb's summary line `plan: N clones (reason)` (the last one). */
  planned: { count: number; reason: string } | undefined
}

export interface RunOptions {
  args?: string[]
  /** Extra env; `undefined` values delete. By default WORKERDB_URL is the test server. */
  env?: Record<string, string | undefined>
  /** Run without WORKERDB_URL (zero-config: workerdb starts its embedded server). */
  embedded?: boolean
  timeoutMs?: number
  /** Separate results/report files (`results-<tag>.jsonl`), for runs of one project at the same time. */
  tag?: string
}

/** Result and report files of one run; `tag` keeps runs of one project at the same time apart (shards). */
function outputsFor(project: Project, tag: string | undefined): { resultsFile: string; reportFile: string } {
  if (!tag) return { resultsFile: project.resultsFile, reportFile: project.reportFile }
  return { resultsFile: join(project.dir, `results-${tag}.jsonl`), reportFile: join(project.dir, `report-${tag}.json`) }
}

export async function runVitest(project: Project, opts: RunOptions = {}): Promise<RunResult> {
  const { resultsFile, reportFile } = outputsFor(project, opts.tag)
  rmSync(resultsFile, { force: true })
  rmSync(reportFile, { force: true })
  writeFileSync(resultsFile, '')
  const args = [vitestBin(project.vitest), 'run', '--reporter=default', '--reporter=json', `--outputFile=${reportFile}`, ...(opts.args ?? [])]
  const timeoutMs = opts.timeoutMs ?? 120_000
  const { code, signal, timedOut, stdout, stderr, leftovers, ms } = await runGroup(nodeFor(project.vitest), args, {
    cwd: project.dir, env: childEnv(opts.env, resultsFile, opts.embedded ?? false), timeoutMs,
  })
  const report = existsSync(reportFile) ? readJson<JsonReport>(reportFile) : undefined
  const lines = readLines<ResultLine>(resultsFile)
  const result: RunResult = {
    code, signal, timedOut, stdout, stderr, output: `${stdout}\n${stderr}`, report, lines,
    done: lines.filter((l) => l.event === 'done'),
    ms,
    leftovers,
    planned: plannedFrom(stderr),
  }
  if (process.env.E2E_VERBOSE === '1') console.log(`vitest ${project.vitest} in ${project.dir}\n${describeRun(result)}`)
  if (timedOut) throw new Error(`vitest ${project.vitest} did not finish within ${timeoutMs} ms in ${project.dir}\n${describeRun(result)}`)
  return result
}

/** A compact description of a run for failure messages. */
export function describeRun(r: RunResult): string {
  // A build of packages/* that removed dist/ files during a run breaks that run.
  const rebuilt = /ENOENT[^\n]*packages\/\w+\/dist\//.test(r.output)
  return [
    ...(rebuilt ? ['NOTE: a file of packages/*/dist vanished during the run: was a package being rebuilt at the same time?'] : []),
    `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${r.ms} ms; report: ${r.report ? `${r.report.numPassedTests} passed, ${r.report.numFailedTests} failed` : 'none'}`,
    `--- stderr\n${cut(r.stderr)}`,
    `--- stdout\n${cut(r.stdout)}`,
    `leftover processes: ${r.leftovers.join('; ') || 'none'}`,
    `--- results\n${r.lines.map((l) => JSON.stringify(l)).join('\n')}`,
  ].join('\n')
}
