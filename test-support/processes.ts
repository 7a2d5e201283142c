/**
 * The child processes our tests, benchmarks and scripts start: one registry of live runs, so that one
 * killAll() (and the exit and signal handlers below) takes down every run of this process whatever
 * started it; the run of a command in a process group of its own; and what /proc says about what is left.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { readProcStat, type ProcStat } from '../packages/core/src/runfile/liveness.js'

/** Runs still in flight, by the pid we spawned, with how to kill each. */
const live = new Map<number, () => void>()

/** SIGKILL to a process group; forgets it. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
  live.delete(pid)
}

/** Registers a run so that killAll() ends it: by default its process group. */
export function track(pid: number, kill: () => void = () => killGroup(pid)): void {
  live.set(pid, kill)
}

export function killAll(): void {
  for (const [pid, kill] of [...live]) {
    kill()
    live.delete(pid)
  }
}

// The runs are detached from this process's group, so Ctrl-C or a killed test worker would not reach them:
// take them down on the way out too (SIGKILL of this process is the one case nothing can catch).
process.once('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll()
    process.kill(process.pid, sig)
  })
}

/** Every process /proc lists now (those that exit while it is read are left out). */
export function allProcs(): ProcStat[] {
  const out: ProcStat[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      out.push(readProcStat(Number(entry)))
    } catch {
      // exited while we looked
    }
  }
  return out
}

/** The command line of a process, or '' once it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

/** A process with its command line, for matching on what it runs. */
export interface Proc extends ProcStat {
  cmd: string
}

/** Every process /proc lists now, with its command line. */
export function procs(): Proc[] {
  return allProcs().map((p) => ({ ...p, cmd: commandLine(p.pid) }))
}

/** "pid command", for messages. */
export function describeProc(p: ProcStat): string {
  return `${p.pid} ${commandLine(p.pid) || p.comm}`
}

/** A process that runs (not a zombie). */
export function running(pid: number): boolean {
  try {
    return readProcStat(pid).state !== 'Z'
  } catch {
    return false
  }
}

/** Live members of a process group, from /proc (zombies excluded). */
export function groupMembers(pgid: number): string[] {
  return allProcs().filter((p) => p.pgrp === pgid && p.state !== 'Z').map(describeProc)
}

/** Live members of a session (a pty child: `script` makes its command a session leader). */
export function sessionMembers(sid: number): string[] {
  return allProcs().filter((p) => p.session === sid && p.state !== 'Z').map(describeProc)
}

/** The pids of `pid` and every process below it, whatever group or session they moved to, from one reading of /proc. */
export function treeOf(pid: number, list: ProcStat[] = allProcs()): Set<number> {
  const tree = new Set([pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of list) if (!tree.has(p.pid) && tree.has(p.ppid)) { tree.add(p.pid); grew = true }
  }
  return tree
}

/**
 * Kills a process, everything below it, and the groups and sessions they lead — for a tree that left its
 * process group (a command under `script` runs in a session of its own). Never touches our own group.
 */
export function killTree(pid: number): void {
  const list = allProcs()
  const own = readProcStat(process.pid)
  const tree = treeOf(pid, list)
  const leaders = new Set([pid, ...list.filter((p) => tree.has(p.pid) && (p.pgrp === p.pid || p.session === p.pid)).map((p) => p.pid)])
  for (const p of list) {
    if (p.pgrp === own.pgrp || p.session === own.session) continue
    if (leaders.has(p.pgrp) || leaders.has(p.session)) tree.add(p.pid)
  }
  for (const g of leaders) {
    if (g === own.pgrp) continue
    try { process.kill(-g, 'SIGKILL') } catch { /* not a group, or gone */ }
  }
  for (const p of tree) {
    if (p === process.pid) continue
    try { process.kill(p, 'SIGKILL') } catch { /* gone */ }
  }
  live.delete(pid)
}

/**
 * A run on a URL server hands its drops to a detached process ("workerdb · dropping N clones in the
 * background (pid P)"): wait for it, so that what the server holds afterwards is what the run left. One
 * still running at the deadline is killed, and returned as a leftover process of the run.
 */
export async function awaitDroppers(output: string, timeoutMs = 30_000): Promise<string[]> {
  return awaitDropperPids([...output.matchAll(/workerdb · dropping \d+ clones? in the background \(pid (\d+)\)/g)].map((m) => Number(m[1])), timeoutMs)
}

/** The same, by pid (a run's WORKERDB_SUMMARY_FILE names its dropper: `dropperPid`). */
export async function awaitDropperPids(pids: number[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  const stuck = pids.filter(running)
  for (const pid of stuck) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
  return stuck.map((pid) => `${pid} workerdb's dropper, still running ${timeoutMs} ms after its run`)
}

export interface GroupRun {
  pid: number
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** Processes of the run's group still alive when its command exited or timed out ("pid command"), and droppers that outlived it. */
  leftovers: string[]
  ms: number
}

/**
 * One run of a command in its own process group (so the whole tree, workers included, can be killed at
 * once), its output collected, until it exits or `timeoutMs` passes (then the group is killed). The group
 * is killed on return whatever happened.
 */
export async function runGroup(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<GroupRun> {
  const started = performance.now()
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const pid = child.pid
  if (pid === undefined) throw new Error(`cannot start ${command}`)
  track(pid)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  let timedOut = false
  let leftovers: string[] = []
  try {
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((res, rej) => {
      child.once('error', rej)
      child.once('exit', (code, signal) => res([code, signal]))
    })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), opts.timeoutMs) })
    const first = await Promise.race([exited, timeout])
    clearTimeout(timer)
    if (first === 'timeout') {
      timedOut = true
      leftovers = groupMembers(pid)
      killGroup(pid)
    }
    const [code, signal] = await exited
    if (!timedOut) leftovers = groupMembers(pid)
    // Let the pipes drain (a grandchild that inherited them may still hold them open: don't wait for it).
    await Promise.race([
      Promise.all([streamEnd(child, 'stdout'), streamEnd(child, 'stderr')]),
      new Promise((r) => setTimeout(r, 2000)),
    ])
    leftovers.push(...await awaitDroppers(stderr))
    return { pid, code, signal, timedOut, stdout, stderr, leftovers, ms: Math.round(performance.now() - started) }
  } finally {
    killGroup(pid)
  }
}

function streamEnd(child: ChildProcess, which: 'stdout' | 'stderr'): Promise<void> {
  const stream = child[which]!
  return new Promise((r) => {
    if (stream.readableEnded) return r()
    stream.once('end', () => r())
    stream.once('close', () => r())
  })
}
