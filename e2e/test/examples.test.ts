/**
 * The examples are what users copy: they must run as written, through their own package's test command,
 * with one clone per worker and nothing left on the server afterwards.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { adminQuery, dropDatabase, E2E_DIR, killGroup, serverUrl } from '../support/jest-harness.js'

const EXAMPLES = resolve(E2E_DIR, '..', 'examples')
const started: number[] = []
afterEach(() => { for (const pid of started.splice(0)) killGroup(pid) })

interface ExampleRun { code: number | null; output: string; summary: { runId: string; plan: { count: number; reason: string }; clones: number; dropped?: number; template: { name: string } } }

/** Runs `node <bin> …` in the example's folder, in its own process group, with a summary file to read back. */
function runExample(dir: string, bin: string, args: string[]): Promise<ExampleRun> {
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
    child.on('close', (code) => {
      clearTimeout(timer)
      killGroup(child.pid!)
      try {
        done({ code, output, summary: JSON.parse(readFileSync(summaryFile, 'utf8')) })
      } catch (err) {
        fail(new Error(`no workerdb summary (${(err as Error).message}); output:\n${output}`))
      } finally {
        rmSync(scratch, { recursive: true, force: true })
      }
    })
  })
}

async function leftovers(runId: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>("select datname from pg_database where datname like '%\\_' || $1 || '\\_%'", [runId])
  return rows.map((r) => r.datname)
}

describe.each([
  { name: 'vitest-basic', bin: 'vitest/vitest.mjs', args: ['run'], files: 6, workers: 3 },
  { name: 'jest-basic', bin: 'jest/bin/jest.js', args: ['--ci'], files: 6, workers: 3 },
])('examples/$name', ({ name, bin, args, files, workers }) => {
  test(`passes as written, one clone per worker (${workers}), and leaves no clone behind`, async () => {
    const r = await runExample(join(EXAMPLES, name), bin, args)
    try {
      expect(r.code, r.output).toBe(0)
      expect(r.summary.plan.count).toBe(Math.min(files, workers))
      expect(r.summary.plan.reason).toContain(`${files} test files`)
      expect(r.summary.clones).toBe(r.summary.plan.count)
      expect(r.summary.dropped).toBe(r.summary.clones)
      expect(await leftovers(r.summary.runId)).toEqual([])
    } finally {
      // The example's template is kept by design for its next run; this test's server is left as found.
      await dropDatabase(r.summary.template.name)
    }
  })
})
