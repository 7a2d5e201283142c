/**
 * Vitest in watch mode. Vitest reads its keyboard shortcuts (`q` quits and tears down) only from a TTY:
 * `script` gives it one. The handle reads what the run printed (ANSI stripped), waits for the n-th
 * "Waiting for file changes", sends keys, and kills the whole tree (`script`, vitest's session, its
 * workers) on stop().
 */
import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { readProcStat } from '../../../packages/core/src/runfile/liveness.js'
import { shq } from '../../../packages/core/src/cli/output.js'
import { allProcs, awaitDroppers, describeProc, killTree, track, treeOf } from '../../../test-support/processes.js'
import { childEnv, cut, readLines } from '../scenario.js'
import { nodeFor, vitestBin, type Project } from './fixture.js'
import type { ResultLine } from './run.js'

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>c78]|\r/g

type Exit = { code: number | null; signal: NodeJS.Signals | null }

export interface WatchHandle {
  pid: number
  /** Everything printed so far, ANSI escapes and CRs stripped. */
  output(): string
  lines(): ResultLine[]
  done(): ResultLine[]
  /** How many times vitest printed "Waiting for file changes" (= finished runs). */
  waits(): number
  exited(): Exit | undefined
  /** Vitest has finished every run it started (the last "Waiting for file changes" follows the last RERUN). */
  idle(): boolean
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>
  /** Waits until vitest has finished its n-th run (first run = 1) and is idle again. */
  waitForRun(n: number, timeoutMs?: number): Promise<void>
  send(keys: string): void
  /** Presses `q`, as a developer would: resolves with the exit, or undefined when vitest did not exit in time. */
  quit(timeoutMs?: number): Promise<Exit | undefined>
  /** Every process of the run still alive (the tree under `script`, by group and session). */
  leftovers(): string[]
  stop(): void
}

export function startWatch(project: Project, opts: { args?: string[]; env?: Record<string, string | undefined> } = {}): WatchHandle {
  const resultsFile = project.resultsFile
  rmSync(resultsFile, { force: true })
  writeFileSync(resultsFile, '')
  const command = [nodeFor(project.vitest), vitestBin(project.vitest), 'watch', ...(opts.args ?? [])].map(shq).join(' ')
  const env = childEnv({ SHELL: '/bin/sh', COLUMNS: '200', LINES: '50', ...opts.env }, resultsFile, false)
  delete env.CI // CI=… makes Vitest refuse to clear the screen only, but keep the run like a developer's
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: project.dir, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('cannot start script(1)')
  track(pid, () => killTree(pid))
  let raw = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { raw += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { raw += d })
  let exit: Exit | undefined
  const exited = new Promise<Exit>((res) => child.once('exit', (code, signal) => { exit = { code, signal }; res(exit) }))
  child.once('error', () => {})
  const output = () => raw.replace(ANSI, '')
  const waits = () => (output().match(/Waiting for file changes/g) ?? []).length
  const handle: WatchHandle = {
    pid,
    output,
    lines: () => readLines<ResultLine>(resultsFile),
    done: () => readLines<ResultLine>(resultsFile).filter((l) => l.event === 'done'),
    waits,
    exited: () => exit,
    async waitFor(what, predicate, timeoutMs = 60_000) {
      const started = Date.now()
      while (!predicate()) {
        if (exit) throw new Error(`vitest exited (${exit.code ?? exit.signal}) while waiting for ${what}\n${cut(output())}`)
        if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${cut(output())}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    idle() {
      const out = output()
      return out.lastIndexOf('Waiting for file changes') > Math.max(out.lastIndexOf('RERUN'), out.lastIndexOf('workerdb · plan'))
    },
    waitForRun(n, timeoutMs) {
      return handle.waitFor(`the end of watch run ${n}`, () => waits() >= n, timeoutMs)
    },
    send(keys) {
      child.stdin.write(keys)
    },
    async quit(timeoutMs = 30_000) {
      child.stdin.write('q')
      let timer: NodeJS.Timeout | undefined
      const r = await Promise.race([exited, new Promise<undefined>((res) => { timer = setTimeout(() => res(undefined), timeoutMs) })])
      clearTimeout(timer)
      if (r) await awaitDroppers(output())
      return r
    },
    leftovers() {
      const own = readProcStat(process.pid)
      const procs = allProcs()
      const tree = treeOf(pid, procs)
      const sessions = new Set(procs.filter((p) => tree.has(p.pid)).map((p) => p.session))
      sessions.delete(own.session)
      return procs.filter((p) => p.state !== 'Z' && (tree.has(p.pid) || sessions.has(p.session))).map(describeProc)
    },
    stop() {
      killTree(pid)
    },
  }
  return handle
}
