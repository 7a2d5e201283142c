/**
 * Fault injection for the reliability suite: start a REAL test runner (a Vitest or Jest scenario written by
 * harness.ts / jest-harness.ts) in a process group of its own, wait until it reaches a chosen phase
 * (server start, migrations, cloning, tests) by watching what it really does — its processes in /proc,
 * its sessions in pg_stat_activity, the lines its test files write — and then kill it: SIGKILL to the whole
 * group (or to the runner alone), or SIGINT as a terminal's Ctrl-C would send it.
 *
 * What a killed run may leave behind is collected as evidence at the moment of the kill (its run ids, its
 * processes, the embedded server's scratch dir, its manifest files), so `leaks()` can say afterwards, by
 * name, what survived it: nothing may.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestDir } from '../../packages/core/src/runfile/manifest.js'
import { adminQuery, portRefuses } from '../../test-support/pg.js'
import { groupMembers, killGroup, procs, running as isAlive, track, treeOf, type Proc } from '../../test-support/processes.js'
import { jestBin, type JestProject } from './jest/fixture.js'
import { childEnv, PROBE_FILE, readLines, type BaseResultLine } from './scenario.js'
import { vitestBin, type Project } from './vitest/fixture.js'

/** Live (non-zombie) processes below `pid`, whatever group or session they moved to. */
export function descendants(pid: number, all: Proc[] = procs()): Proc[] {
  const tree = treeOf(pid, all)
  return all.filter((p) => p.pid !== pid && tree.has(p.pid) && p.state !== 'Z')
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, o: { timeoutMs?: number; everyMs?: number; while?: () => boolean } = {}): Promise<T> {
  const until = Date.now() + (o.timeoutMs ?? 60_000)
  for (;;) {
    const v = await probe()
    if (v) return v
    if (o.while && !o.while()) throw new Error(`gave up waiting for ${what}: the run ended first`)
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, o.everyMs ?? 15))
  }
}

export interface Victim {
  pid: number
  framework: 'vitest' | 'jest'
  /** stdout + stderr so far. */
  output(): string
  running(): boolean
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  resultsFile: string
}

// Every run started here is in the one registry of test-support/processes.ts, which the test file's scenario
// cleanup (useScenarios(), cleanup.ts) empties after each test, whatever happened. Not a hook of this module's
// own: the e2e files share their worker's modules (isolate: false), so it would hook only the first file.

function start(framework: 'vitest' | 'jest', dir: string, args: string[], resultsFile: string, embedded: boolean, extra?: Record<string, string | undefined>): Victim {
  writeFileSync(resultsFile, '')
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dir, env: childEnv(extra, resultsFile, embedded), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  })
  const pid = child.pid!
  track(pid)
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d })
  let running = true
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => { running = false; res({ code, signal }) })
    child.once('error', () => { running = false; res({ code: null, signal: null }) })
  })
  return { pid, framework, output: () => out, running: () => running, exited, resultsFile }
}

/** `env`: extra variables for the run (`undefined` deletes), e.g. WORKERDB_URL of another kind's server. */
export function startVitest(project: Project, o: { embedded?: boolean; args?: string[]; env?: Record<string, string | undefined> } = {}): Victim {
  const resultsFile = join(project.dir, 'results-victim.jsonl')
  return start('vitest', project.dir, [vitestBin(4), 'run', '--reporter=default', ...(o.args ?? [])], resultsFile, o.embedded ?? false, o.env)
}

export function startJest(project: JestProject, o: { embedded?: boolean; args?: string[]; env?: Record<string, string | undefined> } = {}): Victim {
  const resultsFile = join(project.dir, 'results-victim.jsonl')
  return start('jest', project.dir, [jestBin(project.jest), ...(o.args ?? [])], resultsFile, o.embedded ?? false, o.env)
}

/** Lines the victim's test files wrote so far. */
export function victimLines(v: Victim): BaseResultLine[] {
  return readLines(v.resultsFile)
}

export interface Evidence {
  /** What the victim was doing when it was hit, in words (for failure messages). */
  phase: string
  /** Processes below the runner at the moment of the kill that must not outlive it (initdb, postgres, guard). */
  processes: Proc[]
  /** Embedded scratch dirs the run had (from those processes' command lines). */
  scratchDirs: string[]
  /** Ports the embedded server listened on. */
  ports: number[]
  /** Manifest files the runner had written (they name its pid). */
  manifests: string[]
}

const MANIFEST_DIR = manifestDir()

/** Manifests written by this process id (current format: `{ pid }` in the file). */
export function manifestsOf(pid: number): string[] {
  if (!existsSync(MANIFEST_DIR)) return []
  const out: string[] = []
  for (const name of readdirSync(MANIFEST_DIR)) {
    if (!name.endsWith('.json')) continue
    try {
      if (JSON.parse(readFileSync(join(MANIFEST_DIR, name), 'utf8')).pid === pid) out.push(join(MANIFEST_DIR, name))
    } catch {
      // being written or removed
    }
  }
  return out
}

/** Everything the runner has that could outlive it, captured just before it is killed. */
export function collectEvidence(v: Victim, phase: string): Evidence {
  const below = descendants(v.pid).filter((p) => /bin\/(initdb|postgres) |workerdb-guard/.test(p.cmd))
  const scratchDirs = new Set<string>()
  const ports = new Set<number>()
  for (const p of below) {
    const dir = /(\/\S*\/workerdb-embedded-[^/\s]+)/.exec(p.cmd)?.[1]
    if (dir) scratchDirs.add(dir)
    const port = /-c port=(\d+)/.exec(p.cmd)?.[1]
    if (port) ports.add(Number(port))
  }
  return { phase, processes: below, scratchDirs: [...scratchDirs], ports: [...ports], manifests: manifestsOf(v.pid) }
}

/**
 * Kills the victim: the whole process group (what CI does to a job, or `kill -9 -<pgid>`), the runner
 * process alone (the OOM killer, `kill -9 <pid>`), or SIGINT to the group (Ctrl-C in a terminal).
 */
export async function kill(v: Victim, how: 'group' | 'runner' | 'sigint', graceMs = 30_000): Promise<void> {
  if (how === 'group') process.kill(-v.pid, 'SIGKILL')
  else if (how === 'runner') process.kill(v.pid, 'SIGKILL')
  else process.kill(-v.pid, 'SIGINT')
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), graceMs) })
  const r = await Promise.race([v.exited, late])
  clearTimeout(timer)
  if (r === 'late') {
    // Ctrl-C that did not end the run: a person would press it again, or kill it.
    try { process.kill(-v.pid, 'SIGKILL') } catch { /* gone */ }
    await v.exited
  }
}

/** Processes of the run's own group left after the runner died (workers that outlived it, …), then killed. */
export function reapGroup(v: Victim): string[] {
  const left = groupMembers(v.pid).map((line) => line.slice(0, 120))
  killGroup(v.pid)
  return left
}

/** What the evidence says must be gone: live processes, scratch dirs, listening ports, manifest files. */
export async function evidenceLeaks(e: Evidence, o: { settleMs?: number } = {}): Promise<string[]> {
  // The guard acts within milliseconds, postgres' fast shutdown takes a moment: poll, never race.
  const gone = () => e.processes.every((p) => !isAlive(p.pid)) && e.scratchDirs.every((d) => !existsSync(d))
  await waitFor('the killed run\'s server and scratch dir to go', () => gone(), { timeoutMs: o.settleMs ?? 20_000 }).catch(() => {})
  const leaks: string[] = []
  for (const p of e.processes) if (isAlive(p.pid)) leaks.push(`process ${p.pid} still running: ${p.cmd.slice(0, 160)}`)
  for (const d of e.scratchDirs) if (existsSync(d)) leaks.push(`scratch dir ${d} still exists`)
  for (const port of e.ports) if (!(await portRefuses(port))) leaks.push(`something still listens on 127.0.0.1:${port}`)
  for (const m of e.manifests) if (existsSync(m)) leaks.push(`manifest ${m} still exists`)
  return leaks
}

interface DbRow { datname: string; comment: string | null; datistemplate: boolean }

/**
 * Databases of `prefix` that no finished run should leave: every clone, any template that is not a
 * sealed, ready one, and anything without a workerdb marker. (Ready templates are the cache: kept.)
 */
export async function databaseLeaks(prefix: string): Promise<string[]> {
  const rows = await adminQuery<DbRow>(
    `select datname, shobj_description(oid, 'pg_database') as comment, datistemplate from pg_database where starts_with(datname, $1) order by 1`, [`${prefix}_`])
  const leaks: string[] = []
  for (const r of rows) {
    let m: { tool?: string; kind?: string; state?: string; run?: string } | undefined
    try { m = JSON.parse(r.comment ?? '') } catch { m = undefined }
    if (m?.tool !== 'workerdb') leaks.push(`${r.datname} (no workerdb marker)`)
    else if (m.kind === 'clone') leaks.push(`${r.datname} (clone of run ${m.run})`)
    else if (m.state !== 'ready' || !r.datistemplate) leaks.push(`${r.datname} (template, state ${m.state}, sealed ${r.datistemplate})`)
  }
  return leaks
}

/** The ready templates of `prefix` with their markers' run ids (which build made them). */
export async function templatesOf(prefix: string): Promise<Array<{ name: string; run: string; state: string }>> {
  const rows = await adminQuery<DbRow>(
    `select datname, shobj_description(oid, 'pg_database') as comment, datistemplate from pg_database where starts_with(datname, $1) and datname like '%\\_tpl\\_%' order by 1`, [`${prefix}_`])
  return rows.map((r) => {
    const m = JSON.parse(r.comment ?? '{}')
    return { name: r.datname, run: m.run, state: m.state }
  })
}

export interface Tally {
  injected: number
  survived: number
  leaked: number
}

export class FaultTally {
  private classes = new Map<string, Tally>()

  record(faultClass: string, r: { survived: boolean; leaked: number }): void {
    const t = this.classes.get(faultClass) ?? { injected: 0, survived: 0, leaked: 0 }
    t.injected++
    if (r.survived) t.survived++
    t.leaked += r.leaked
    this.classes.set(faultClass, t)
  }

  lines(): string[] {
    return [...this.classes].map(([c, t]) => `reliability · ${c}: injected ${t.injected}, survived ${t.survived}, leaked ${t.leaked}`)
  }
}

/** Removes a directory tree, ignoring races with a remover that got there first. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}

/**
 * Moves a Jest scenario onto another prefix (its config file and the probe's parameters), so a Jest and a
 * Vitest scenario can share one prefix — and with the same migrations, one template hash.
 */
export function retargetJestProject(project: JestProject, prefix: string): JestProject {
  for (const name of ['workerdb.config.json', PROBE_FILE]) {
    const file = join(project.dir, name)
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), prefix }))
  }
  return { ...project, prefix }
}
