/**
 * Runs one of examples/ through its own test runner, as a user would, in its own process group, and reads
 * back workerdb's summary of the run (WORKERDB_SUMMARY_FILE).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach } from 'vitest'
import { adminQuery, serverUrl } from '../../test-support/pg.js'
import { awaitDropperPids, killAll, runGroup } from '../../test-support/processes.js'
import { E2E_DIR } from './scenario.js'

export const EXAMPLES = resolve(E2E_DIR, '..', 'examples')

export interface ExampleRun {
  code: number | null
  output: string
  summary: { runId: string; plan: { count: number; reason: string }; clones: number; dropped?: number; dropperPid?: number; template: { name: string; reused: boolean } }
}

/** Call at the top of a test file: every run's process group is killed after each test, whatever happened. */
export function useExampleRuns(): void {
  afterEach(killAll)
}

/** `node <dir>/node_modules/<bin> …` in `dir`, against the test server (`env` added), in a process group of its own. */
export async function runExample(dir: string, bin: string, args: string[], env: Record<string, string> = {}): Promise<ExampleRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'workerdb-example-'))
  const summaryFile = join(scratch, 'summary.json')
  try {
    const r = await runGroup(process.execPath, [join(dir, 'node_modules', bin), ...args], {
      cwd: dir, env: { ...process.env, WORKERDB_URL: serverUrl(), WORKERDB_SUMMARY_FILE: summaryFile, CI: '1', ...env }, timeoutMs: 180_000,
    })
    const output = `${r.stdout}\n${r.stderr}`
    let summary: ExampleRun['summary']
    try {
      summary = JSON.parse(readFileSync(summaryFile, 'utf8'))
    } catch (err) {
      throw new Error(`no workerdb summary (${(err as Error).message}); output:\n${output}`)
    }
    // The run handed its drops to a detached process: what the server holds after it is what the run left.
    const stuck = [...r.leftovers, ...await awaitDropperPids(summary.dropperPid ? [summary.dropperPid] : [])]
    if (stuck.length) throw new Error(`processes outlived the run: ${stuck.join('; ')}; output:\n${output}`)
    return { code: r.timedOut ? null : r.code, output, summary }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Databases still carrying this run id in their name: what a finished run must not leave. */
export async function leftovers(runId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>("select datname from pg_database where datname like '%\\_' || $1 || '\\_%'", [runId])
  return rows.map((r) => r.datname)
}
