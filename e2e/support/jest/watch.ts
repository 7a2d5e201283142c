/** `jest --watchAll` in its own process group, ended by killAll() (afterEach) like every other run. */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { track } from '../../../test-support/processes.js'
import { childEnv, readLines } from '../scenario.js'
import { jestBin, type JestProject } from './fixture.js'
import type { ResultLine } from './run.js'

export interface JestWatch {
  pid: number
  /** stdout + stderr so far. */
  output(): string
  /** The generated files' result lines so far (all runs of the session). */
  lines(): ResultLine[]
  /** Resolves once `check` holds, polling; rejects with the output after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs?: number): Promise<void>
}

export function startJestWatch(project: JestProject, args: string[] = []): JestWatch {
  writeFileSync(project.resultsFile, '')
  const child = spawn(process.execPath, [jestBin(project.jest), '--watchAll', ...args], {
    cwd: project.dir, env: childEnv({ CI: undefined }, project.resultsFile, false), stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`cannot start ${process.execPath}`)
  track(pid)
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
  return {
    pid,
    output: () => out,
    lines: () => readLines<ResultLine>(project.resultsFile),
    async until(what, check, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`jest --watchAll: ${what} did not happen within ${timeoutMs} ms\n--- output\n${out.slice(-5000)}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
}
