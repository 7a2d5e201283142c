/**
 * The fidelity matrix's source. Each e2e run (one Vitest invocation that runs e2e files) starts its own
 * results file, `e2e/.results/runs/<run>.jsonl` (git-ignored), whose first line says which run and which
 * commit it is (startMatrixRun, the e2e project's globalSetup); every e2e scenario that proves a framework
 * configuration appends one line to it, and `node scripts/matrix.mjs` renders that run — and only that run
 * — into docs/fidelity.md. A scenario of the committed list (e2e/matrix-scenarios.json) that recorded
 * nothing in the run shows as skipped. Framework-neutral: the Jest e2e records its rows with `framework: 'jest'`.
 */
import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const E2E = resolve(dirname(fileURLToPath(import.meta.url)), '../e2e')
export const RESULTS_DIR = join(E2E, '.results')
export const RUNS_DIR = join(RESULTS_DIR, 'runs')
/** Holds the path of the latest run's results file. */
export const LATEST_FILE = join(RESULTS_DIR, 'matrix-latest')
/** Every scenario the matrix knows, committed: one that did not record a result in a run is skipped there. */
export const SCENARIOS_FILE = join(E2E, 'matrix-scenarios.json')
/** Run files kept in RUNS_DIR (the newest); older ones are removed when a run starts. */
const KEEP_RUNS = 10

export interface MatrixRow {
  /** 'vitest' | 'jest' | … */
  framework: string
  /** The exact framework version run, e.g. '4.1.12'. */
  version: string
  /** Pool / runner, e.g. 'forks', 'threads', 'forks+threads', 'workers', 'in band'. */
  pool: string
  /** How it was invoked: 'run', 'watch', 'shard 2', 'projects', 'stress', … */
  mode: string
  /** What was proven, short: 'seed ×30', '1/3/7 files', 'E_MIXED_POOLS'. */
  scenario: string
  /** The recording test's stable name (file > test). */
  id?: string
}

export type MatrixResult = MatrixRow & { result: 'pass' | 'fail' | 'skip'; detail?: string }

/** The commit the working tree is on, and whether it has changes on top: what a run's results describe. */
export function gitState(cwd = E2E): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return { commit, dirty: status.trim() !== '' }
  } catch {
    return { commit: 'unknown', dirty: false }
  }
}

/**
 * Starts this run's results file and points E2E_MATRIX_FILE at it (inherited by the test workers, which
 * start after globalSetup) and LATEST_FILE too. Returns the file.
 */
export function startMatrixRun({ runsDir = RUNS_DIR, latestFile = LATEST_FILE, now = new Date() }: { runsDir?: string; latestFile?: string; now?: Date } = {}): string {
  const run = `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${process.pid}`
  mkdirSync(runsDir, { recursive: true })
  const file = join(runsDir, `${run}.jsonl`)
  writeFileSync(file, `${JSON.stringify({ kind: 'run', run, ...gitState(), startedAt: now.toISOString() })}\n`)
  writeFileSync(latestFile, `${file}\n`)
  process.env.E2E_MATRIX_FILE = file
  const old = readdirSync(runsDir).filter((f) => f.endsWith('.jsonl')).map((f) => join(runsDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs).slice(KEEP_RUNS)
  for (const f of old) rmSync(f, { force: true })
  return file
}

/** The latest run's results file (or undefined): E2E_MATRIX_FILE if set, else the one LATEST_FILE names. */
export function latestRunFile(latestFile = LATEST_FILE): string | undefined {
  if (process.env.E2E_MATRIX_FILE) return process.env.E2E_MATRIX_FILE
  try {
    return readFileSync(latestFile, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * Appends one scenario's result to this run's file (E2E_MATRIX_FILE). Outside an e2e run (no file: e.g.
 * `pnpm stress` on its own, which keeps its own record) nothing is written.
 */
export function recordMatrix(row: MatrixResult): void {
  for (const k of ['framework', 'version', 'pool', 'mode', 'scenario', 'result'] as const) {
    if (typeof row[k] !== 'string' || !row[k]) throw new Error(`recordMatrix: ${k} is required`)
  }
  if (!['pass', 'fail', 'skip'].includes(row.result)) throw new Error(`recordMatrix: result must be pass, fail or skip, not ${row.result}`)
  const file = process.env.E2E_MATRIX_FILE
  if (!file) return
  mkdirSync(dirname(file), { recursive: true })
  appendFileSync(file, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`)
}

/** Runs `fn` and records its outcome: `pass` when it resolves, `fail` (then rethrows) when it throws. */
export async function withMatrix<T>(row: MatrixRow, fn: () => Promise<T>): Promise<T> {
  try {
    const out = await fn()
    recordMatrix({ ...row, result: 'pass' })
    return out
  } catch (err) {
    recordMatrix({ ...row, result: 'fail', detail: String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 200) })
    throw err
  }
}
