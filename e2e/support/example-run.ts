/**
 * Runs one of examples/ through its own test runner, as a user would, in its own process group, and reads
 * back workerdb's summary of the run (WORKERDB_SUMMARY_FILE).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach } from 'vitest'
import { adminQuery, awaitDropperPids, E2E_DIR, killGroup, serverUrl } from './jest-harness.js'

export const EXAMPLES = resolve(E2E_DIR, '..', 'examples')

export interface ExampleRun {
  code: number | null
  output: string
  summary: { runId: string; plan: { count: number; reason: string }; clones: number; dropped?: number; dropperPid?: number; template: { name: string; reused: boolean } }
}

const started: number[] = []
/** Call at the top of a test file: every run's process group is killed after each test, whatever happened. */
export function useExampleRuns(): void {
  afterEach(() => { for (const pid of started.splice(0)) killGroup(pid) })
}

/** `node <dir>/node_modules/<bin> …` in `dir`, against the test server. */
export function runExample(dir: string, bin: string, args: string[]): Promise<ExampleRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'workerdb-example-'))
  const summaryFile = join(scratch, 'summary.json')
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(dir, 'node_modules', bin), ...args], {
      cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WORKERDB_URL: serverUrl(), WORKERDB_SUMMARY_FILE: summaryFile, CI: '1' },
    })
    started.push(child.pid!)
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => killGroup(child.pid!), 180_000)
    child.on('error', fail)
    child.on('close', async (code) => {
      clearTimeout(timer)
      killGroup(child.pid!)
      try {
        const summary = JSON.parse(readFileSync(summaryFile, 'utf8'))
        // The run handed its drops to a detached process: what the server holds after it is what the run left.
        const stuck = await awaitDropperPids(summary.dropperPid ? [summary.dropperPid] : [])
        if (stuck.length) throw new Error(`processes outlived the run: ${stuck.join('; ')}`)
        done({ code, output, summary })
      } catch (err) {
        fail(new Error(`no workerdb summary, or its dropper stuck (${(err as Error).message}); output:\n${output}`))
      } finally {
        rmSync(scratch, { recursive: true, force: true })
      }
    })
  })
}

/** Databases still carrying this run id in their name: what a finished run must not leave. */
export async function leftovers(runId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>("select datname from pg_database where datname like '%\\_' || $1 || '\\_%'", [runId])
  return rows.map((r) => r.datname)
}
