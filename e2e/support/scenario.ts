/**
 * What every e2e scenario shares, whichever framework runs it. A scenario is a small user project written
 * inside a fixture package (`e2e/fixtures/<framework><N>/.runs/<id>/`), so that node resolution from its
 * files finds that fixture's runner, `pg` and the built `@workerdb/*` package; it is run by the REAL runner
 * binary in a child process group, and its test files are copies of one probe file (vitest/probe.mjs,
 * jest/probe.ts) that report what they saw as JSON lines (E2E_RESULTS).
 */
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NODE22_ENV, NODE22_NPX_ARGS, node22FromOutput } from '../../test-support/node22.mjs'
import { dropStaleMarked, serverUrl } from '../../test-support/pg.js'

export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const FIXTURES_DIR = join(E2E_DIR, 'fixtures')

/** The migration every scenario runs: its side effect (time and txid of the build) shows template reuse. */
export const MIGRATION_SQL = `create table e2e_seed (id int primary key, built_at text not null, txid bigint not null);
insert into e2e_seed values (1, clock_timestamp()::text, txid_current());
`

/** Every e2e prefix starts with this, so stale e2e databases can be found (and only those). */
export const E2E_PREFIX_START = 'e2'

/** `start` + a tag + 6 random chars: a valid workerdb prefix (≤ 12), unique per scenario. */
export function randomPrefix(start: string, tag: string): string {
  if (!/^[a-z0-9]+$/.test(tag) || start.length + tag.length + 6 > 12) throw new Error(`bad prefix tag ${tag} (after ${start})`)
  return `${start}${tag}${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`
}

/** The probe's parameters, in the scenario's folder: its copies find them by walking up from themselves. */
export const PROBE_FILE = 'probe.json'

/**
 * The folder of a scenario and what every scenario has: its migration, its own workerdb config (found
 * first, so no workerdb.config.* higher up the tree leaks in) and the probe's parameters.
 */
export function writeScenarioBase(dir: string, opts: { prefix: string; configFile: string; holdMs: number }): void {
  mkdirSync(join(dir, 'migrations'), { recursive: true })
  writeFileSync(join(dir, 'migrations', '0001_seed.sql'), MIGRATION_SQL)
  const config = { prefix: opts.prefix, migrate: { sql: './migrations' } }
  writeFileSync(join(dir, opts.configFile), opts.configFile.endsWith('.json')
    ? JSON.stringify(config, null, 2)
    : `export default ${JSON.stringify(config, null, 2)}\n`)
  writeFileSync(join(dir, PROBE_FILE), JSON.stringify({ prefix: opts.prefix, holdMs: opts.holdMs }))
}

/** Makes the probe copy `file` hold its database this long from its next run on (the others keep theirs). */
export function setProbeHold(dir: string, file: string, holdMs: number): void {
  const params = JSON.parse(readFileSync(join(dir, PROBE_FILE), 'utf8')) as { hold?: Record<string, number> }
  writeFileSync(join(dir, PROBE_FILE), JSON.stringify({ ...params, hold: { ...params.hold, [file]: holdMs } }))
}

/** A scenario's own files, written last: they may replace what was generated (a config of its own). */
export function writeExtraFiles(dir: string, files: Record<string, string> = {}): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
}

/** Writes a copy of `probe` as `<dir>/<name>.test.<ext>`; returns its path. */
export function copyProbe(probe: string, dir: string, name: string, ext: string): string {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.test.${ext}`)
  writeFileSync(file, readFileSync(probe, 'utf8'))
  return file
}

/** Removes a scenario's folder (not its databases), unless E2E_KEEP=1 asks to keep it for a look. */
export function removeScenario(dir: string): void {
  if (process.env.E2E_KEEP === '1') return
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}

/** `file01` … : the generated files' names, in order. */
export const fileName = (i: number): string => `file${String(i).padStart(2, '0')}`

/**
 * The environment of a run: this process's, minus every variable of a test runner, workerdb or libpq
 * that would leak into the child (this process may itself be a Vitest or Jest worker). `extra`: `undefined`
 * values delete. Without `embedded`, WORKERDB_URL points at the test server.
 */
export function childEnv(extra: Record<string, string | undefined> | undefined, resultsFile: string, embedded: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|JEST_|WORKERDB_|PG)/.test(k) || ['TEST', 'NODE_ENV', 'DATABASE_URL', 'FORCE_TTY', 'FORCE_COLOR'].includes(k)) continue
    env[k] = v
  }
  env.NO_COLOR = '1'
  env.E2E_RESULTS = resultsFile
  if (!embedded) env.WORKERDB_URL = serverUrl()
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** What a scenario's test file logs, under either framework (E2E_RESULTS, one JSON object a line). */
export interface BaseResultLine {
  file: string
  pid: number
  event: 'loaded' | 'connected' | 'done'
  workerId?: string
  database?: string
  /** The user the file connected as (the dialect probes on MariaDB/MySQL). */
  user?: string
  start?: number
  end?: number
  locked?: boolean
  wdbDatabase?: string
  wdbWorkerId?: number
  runId?: string
  assigned?: string | null
  clones?: number
  plan?: { count: number; reason: string }
  template?: { name: string; hash: string; reused: boolean }
  seed?: { built_at: string; txid: string }
  /** The manifest file the run wrote (WORKERDB_MANIFEST); gone once the run ends. */
  manifest?: string
}

export function readLines<T = BaseResultLine>(file: string): T[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T)
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

/** The end of a long output, for failure messages. */
export const cut = (text: string, n = 6000): string => (text.length > n ? `…${text.slice(-n)}` : text)

/** The last `workerdb · plan: N clones (reason)` line (watch reruns that grow print another). */
export function plannedFrom(text: string): { count: number; reason: string } | undefined {
  const m = [...text.matchAll(/workerdb · plan: (\d+) clones? \((.*)\)/g)].at(-1)
  return m ? { count: Number(m[1]), reason: m[2]! } : undefined
}

/** Pairs of files that held one database at the same time. */
function overlaps(done: BaseResultLine[]): string[] {
  const p: string[] = []
  const sorted = [...done].sort((a, b) => a.start! - b.start!)
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!, b = sorted[j]!
      if (a.database === b.database && b.start! < a.end!) {
        p.push(`${a.file} [${a.start}–${a.end}] and ${b.file} [${b.start}–${b.end}] overlapped on ${a.database}`)
      }
    }
  }
  return p
}

/**
 * The checks every framework's `done` lines must pass, in a run or a watch rerun: each expected file
 * reported once, all from one run, each on the clone of its worker id (`idOf`, named `idName` in messages)
 * within the plan, on what the manifest and getWorkerDatabase() say, holding the database alone.
 */
export function sharedDoneProblems<T extends BaseResultLine>(done: T[], opts: {
  prefix: string; files: string[]; planned: number; idName: string; idOf: (line: T) => string | undefined
}): string[] {
  const p: string[] = []
  const byFile = new Map<string, T[]>()
  for (const d of done) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d])
  for (const f of opts.files) {
    const n = byFile.get(f)?.length ?? 0
    if (n !== 1) p.push(`${f} reported ${n} results, expected 1`)
  }
  for (const f of byFile.keys()) if (!opts.files.includes(f)) p.push(`${f} ran, but was not expected in this run`)
  const runIds = new Set(done.map((d) => d.runId))
  if (runIds.size > 1) p.push(`results from several runs: ${[...runIds].join(', ')}`)
  for (const d of done) {
    const raw = opts.idOf(d)
    const id = Number(raw)
    const expected = `${opts.prefix}_${d.runId}_${raw}`
    if (!Number.isInteger(id) || id < 1 || id > opts.planned) p.push(`${d.file}: ${opts.idName} ${raw} outside 1..${opts.planned} (planned clones)`)
    if (d.database !== expected) p.push(`${d.file}: on database ${d.database}, expected ${expected}`)
    if (d.database !== d.assigned) p.push(`${d.file}: on ${d.database}, but the manifest assigns ${d.assigned} to ${opts.idName} ${raw}`)
    if (d.database !== d.wdbDatabase) p.push(`${d.file}: getWorkerDatabase() says ${d.wdbDatabase}, connected to ${d.database}`)
    if (!d.locked) p.push(`${d.file}: pg_try_advisory_lock(4242) was false on ${d.database}: another file held it`)
  }
  p.push(...overlaps(done))
  return p
}

const STALE_MS = 60 * 60 * 1000

/**
 * Scenario dirs in these run folders, then every e2e database and role (by the shared prefix start AND
 * workerdb's marker), older than an hour: what an e2e run that was killed left behind.
 */
export async function sweepStaleIn(runFolders: string[], url = serverUrl()): Promise<void> {
  for (const runs of runFolders) {
    if (!existsSync(runs)) continue
    for (const name of readdirSync(runs)) {
      const dir = join(runs, name)
      try {
        if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true })
      } catch {
        // raced with another remover
      }
    }
  }
  await dropStaleMarked(`^${E2E_PREFIX_START}[a-z0-9]{1,10}_`, STALE_MS, url)
}

let node22: string | undefined

/** The Node 22 binary (Vitest 5 needs ^22.12): `npm test`'s (E2E_NODE22, test-support/node22.mjs), else npx's, once per process. */
export function node22Path(): string {
  if (node22) return node22
  const given = process.env[NODE22_ENV]
  if (given && existsSync(given)) return (node22 = given)
  if (Number(process.versions.node.split('.')[0]) >= 22) return (node22 = process.execPath)
  const found = node22FromOutput(execFileSync('npx', NODE22_NPX_ARGS, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 }))
  if (found instanceof Error) throw found
  process.env[NODE22_ENV] = found
  return (node22 = found)
}

/** A fixture's installed version of a package, or the error that says how to install the fixtures. */
export function fixturePackageVersion(fixture: string, pkg: string): string {
  const file = join(FIXTURES_DIR, fixture, 'node_modules', pkg, 'package.json')
  if (!existsSync(file)) throw new Error(`the e2e fixture e2e/fixtures/${fixture} is not installed: run \`pnpm install\` at the repo root`)
  return readJson<{ version: string }>(file).version
}

/** After a run has ended: its manifest must be gone. */
export function manifestsLeft(done: BaseResultLine[]): string[] {
  return [...new Set(done.map((d) => d.manifest).filter((m): m is string => Boolean(m) && existsSync(m!)))]
    .map((m) => `the run's manifest ${m} was left behind`)
}
