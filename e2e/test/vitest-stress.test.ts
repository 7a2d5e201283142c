/**
 * `pnpm stress` (scripts/stress.mjs) with a small N: it runs the rows asked for (Vitest and Jest), prints a
 * summary table with 0 failures, and cleans up; and when runs fail, it says which and exits non-zero. The
 * large numbers (200 runs per row) are for a person to run: see the README.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { databasesWithPrefix, E2E_DIR, killTree, readLines, serverUrl, sweepStale } from '../support/harness.js'
import { JEST_VERSIONS } from '../support/jest-harness.js'
import { mysqlServer } from '../support/dialect/scenario.js'
import { gitState } from '../../test-support/matrix.js'
import { testIf } from '../support/tier.js'

const STRESS = join(E2E_DIR, '..', 'scripts', 'stress.mjs')
const tmp = mkdtempSync(join(tmpdir(), 'workerdb-stress-e2e-'))
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true })
  await sweepStale()
})

// The committed record and the README that quotes it: a test run of stress must leave both as they are.
const COMMITTED = [join(E2E_DIR, '..', 'scripts', 'stress-results.json'), join(E2E_DIR, '..', 'README.md')]
const snapshot = () => COMMITTED.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : null))
const before = snapshot()

let records = 0
/**
 * Runs stress.mjs in its own process group; the whole tree (it spawns vitest groups) is killed afterwards.
 * Its record goes to a temporary file (WORKERDB_STRESS_RECORD), read back as `record`.
 */
async function stress(args: string[], env: Record<string, string> = {}, timeoutMs = 240_000) {
  const recordFile = join(tmp, `record-${++records}.json`)
  env = { WORKERDB_STRESS_RECORD: recordFile, ...env }
  const childEnv: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^VITEST/.test(k)) childEnv[k] = v
  const child = spawn(process.execPath, [STRESS, ...args], {
    env: { ...childEnv, WORKERDB_TEST_URL: serverUrl(), ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { out += d })
  try {
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([
      new Promise<number | null>((res) => child.once('exit', (c) => res(c))),
      new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), timeoutMs) }),
    ])
    clearTimeout(timer)
    if (code === 'timeout') throw new Error(`stress did not finish in ${timeoutMs} ms\n${out}`)
    const record = existsSync(recordFile) ? JSON.parse(readFileSync(recordFile, 'utf8')) as StressRecord : undefined
    expect(snapshot(), 'the committed stress record and README are left alone').toEqual(before)
    return { code, out, record }
  } finally {
    killTree(child.pid!)
  }
}

/**
 * The prefix of each row, from its header line: another stress run against the same server (a person's
 * `pnpm stress` in another clone) has databases of the same shape, so only these prefixes say what this
 * run left behind.
 */
function rowPrefixes(out: string): Map<string, string> {
  return new Map([...out.matchAll(/^(\S+) \(.*, prefix (\w+)\): \d+ runs$/gm)].map((m) => [m[1]!, m[2]!]))
}

type Row = { framework: string; version: string; pool: string; mode: string; scenario: string; result: string }
type StressRecord = {
  commit: string; startedAt: string; finishedAt: string; durationMs: number; runsPerRow: number; rowCount: number; runs: number; failed: number
  machine: { cpus: number; loadAtStart: number[]; loadAtEnd: number[]; server: string }
  rows: Array<{ name: string; version: string; runs: number; failed: number; ids: string; msPerRun: number }>
}

describe('pnpm stress', () => {
  test('one run of two rows: summary table, 0 failures, nothing left behind', async () => {
    const matrix = join(tmp, 'matrix.jsonl')
    const { code, out, record } = await stress(['--runs', '1', '--rows', 'vitest4-seed,vitest5-20files'], { E2E_MATRIX_FILE: matrix })
    expect(code, out).toBe(0)
    // Its record says what ran, on which commit, on what machine, and what it found.
    expect(record, out).toMatchObject({ rowCount: 2, runsPerRow: 1, runs: 2, failed: 0, commit: gitState().commit })
    expect(record!.rows.map((r) => `${r.name} ${r.runs} ${r.failed}`)).toEqual(['vitest4-seed 1 0', 'vitest5-20files 1 0'])
    expect(record!.machine.cpus).toBeGreaterThan(0)
    expect(record!.machine.loadAtStart).toHaveLength(3)
    expect(record!.machine.server).toMatch(/^PostgreSQL \d+/)
    expect(record!.durationMs).toBe(Date.parse(record!.finishedAt) - Date.parse(record!.startedAt))
    expect(out).toContain('stress: record written to')
    expect(out).toMatch(/\| row +\| version +\| runs +\| failed +\| worker ids used \(id×files\) +\| ms\/run +\|/)
    expect(out).toMatch(/\| vitest4-seed +\| 4\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    expect(out).toMatch(/\| vitest5-20files +\| 5\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    expect(out).toContain('stress: 2 runs, 0 failed')
    // Each row recorded its result for the fidelity matrix.
    const rows = readLines(matrix) as unknown as Row[]
    expect(rows.map((r) => `${r.framework} ${r.mode} ${r.scenario} ${r.result}`)).toEqual([
      'vitest stress seed ×1 pass', 'vitest stress 20 files ×1 pass',
    ])
    // Each row dropped its databases, template included.
    const prefixes = rowPrefixes(out)
    expect([...prefixes.keys()], out).toEqual(['vitest4-seed', 'vitest5-20files'])
    for (const prefix of prefixes.values()) expect(await databasesWithPrefix(prefix)).toEqual([])
  })

  // The Jest rows go through the same table and record: in a full run only (support/tier.ts).
  testIf(false)('Jest rows: the same table, 0 failures, jest matrix rows, nothing left behind', async () => {
    const matrix = join(tmp, 'jest-matrix.jsonl')
    const { code, out } = await stress(['--runs', '1', '--rows', 'jest29-seed,jest30-20files'], { E2E_MATRIX_FILE: matrix })
    expect(code, out).toBe(0)
    expect(out).toMatch(/\| row +\| version +\| runs +\| failed +\| worker ids used \(id×files\) +\| ms\/run +\|/)
    expect(out).toMatch(/\| jest29-seed +\| 29\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    expect(out).toMatch(/\| jest30-20files +\| 30\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    expect(out).toContain('stress: 2 runs, 0 failed')
    const rows = readLines(matrix) as unknown as Row[]
    expect(rows.map((r) => `${r.framework} ${r.version} ${r.pool} ${r.mode} ${r.scenario} ${r.result}`)).toEqual([
      `jest ${JEST_VERSIONS[29]} workers stress seed ×1 pass`, `jest ${JEST_VERSIONS[30]} workers stress 20 files ×1 pass`,
    ])
    const prefixes = rowPrefixes(out)
    expect([...prefixes.keys()], out).toEqual(['jest29-seed', 'jest30-20files'])
    for (const prefix of prefixes.values()) expect(await databasesWithPrefix(prefix)).toEqual([])
  })

  test('MariaDB and SQLite rows: the seed scenario on the kind\'s server, 0 failures, nothing left there', async () => {
    const matrix = join(tmp, 'dialect-matrix.jsonl')
    // The SQLite row's directory is a temporary one: under a TMPDIR of this test's, to see it removed.
    const tmpdir = join(tmp, 'tmpdir')
    mkdirSync(tmpdir)
    const { code, out, record } = await stress(['--runs', '1', '--rows', 'jest30-mariadb-seed,vitest4-sqlite-seed'], { E2E_MATRIX_FILE: matrix, TMPDIR: tmpdir })
    expect(code, out).toBe(0)
    expect(record, out).toMatchObject({ rowCount: 2, runs: 2, failed: 0 })
    expect(record!.machine.server).toMatch(/^MariaDB \d+\.\d+\S* at [^,]+, SQLite 3\.\d+\.\d+ in a temporary directory$/)
    expect(out).toMatch(/\| jest30-mariadb-seed +\| 30\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    expect(out).toMatch(/\| vitest4-sqlite-seed +\| 4\.\d+\.\d+ +\| 1 +\| 0 +\|/)
    const rows = readLines(matrix) as unknown as Row[]
    expect(rows.map((r) => `${r.framework} ${r.mode} ${r.scenario} ${r.result}`)).toEqual([
      'jest stress MariaDB seed ×1 pass', 'vitest stress SQLite seed ×1 pass',
    ])
    const prefixes = rowPrefixes(out)
    expect([...prefixes.keys()], out).toEqual(['jest30-mariadb-seed', 'vitest4-sqlite-seed'])
    expect(await mysqlServer().databases(prefixes.get('jest30-mariadb-seed')!)).toEqual([])
    expect(readdirSync(tmpdir).filter((f) => f.startsWith('workerdb-e2e-sqlite-'))).toEqual([])
  })

  test('failed runs are listed per row, with their log, and the exit code is 1', async () => {
    // Every run of this row fails: its vitest is sent to a port where no PostgreSQL listens.
    const matrix = join(tmp, 'failing-matrix.jsonl')
    const { code, out, record } = await stress(['--runs', '1', '--rows', 'vitest4-seed', '--env', 'WORKERDB_URL=postgresql://postgres@127.0.0.1:1/postgres'], { E2E_MATRIX_FILE: matrix })
    expect(code, out).toBe(1)
    expect(record, out).toMatchObject({ rowCount: 1, runsPerRow: 1, runs: 1, failed: 1 })
    expect(out).toMatch(/✗ run 1: vitest exited with 1/)
    const log = /(\S*stress\/vitest4-seed-1\.log)/.exec(out)?.[1]
    expect(log, out).toBeDefined()
    expect(readFileSync(join(process.cwd(), log!), 'utf8')).toContain('E_SERVER_UNREACHABLE')
    rmSync(join(process.cwd(), log!), { force: true })
    expect(out).toMatch(/\| vitest4-seed +\| 4\.\d+\.\d+ +\| 1 +\| 1 +\|/)
    expect(out).toContain('stress: 1 runs, 1 failed')
    expect(readLines(matrix).map((r) => (r as unknown as { result: string }).result)).toEqual(['fail'])
  })

  test('unknown rows are refused with the list of rows', async () => {
    const { code, out } = await stress(['--rows', 'vitest9-seed'])
    expect(code).toBe(2)
    expect(out).toContain('unknown row(s): vitest9-seed')
    expect(out).toContain('vitest4-seed')
    expect(out).toContain('jest30-20files')
  })
})

describe('the stress record in the README', () => {
  test('the README section says what the record says, and --check tells whether it does', async () => {
    const { renderStress, replaceStressSection, START, END } = await import('../../scripts/stress-record.mjs')
    const record = {
      commit: '0123456789abcdef', dirty: false, startedAt: '2026-06-30T12:00:00.000Z', finishedAt: '2026-06-30T12:10:05.000Z',
      durationMs: 605_000, runsPerRow: 5, rowCount: 2, runs: 10, failed: 1,
      machine: { cpus: 2, node: '20.20.2', platform: 'linux-x64', server: 'PostgreSQL 15.20 at 127.0.0.1:5432', loadAtStart: [1.5, 1, 1], loadAtEnd: [2.25, 1, 1] },
      rows: [
        { name: 'vitest4-seed', version: '4.1.12', runs: 5, failed: 0, ids: '1×5 2×5', msPerRun: 5000 },
        { name: 'jest30-seed', version: '30.5.2', runs: 5, failed: 1, ids: '1×5 2×4', msPerRun: 6000 },
      ],
    }
    const md = renderStress(record)
    expect(md).toContain('Last recorded run: 2 rows × 5 runs = 10 runs, **1 failed** — on commit `0123456789ab`, 2026-06-30 12:00 UTC, 10 min 5 s; 2 CPUs, load 1.5 at the start and 2.25 at the end')
    expect(md).toContain('| jest30-seed | 30.5.2 | 5 | 1 | 1×5 2×4 | 6000 |')
    expect(renderStress(undefined)).toContain('No recorded stress run yet')
    const readme = join(tmp, 'README-stress.md')
    const recordFile = join(tmp, 'stress-record.json')
    writeFileSync(recordFile, JSON.stringify(record))
    writeFileSync(readme, `# x\n${START}\nold claim: 2,400 runs\n${END}\n`)
    const script = join(E2E_DIR, '..', 'scripts', 'stress-record.mjs')
    const check = () => spawnSync(process.execPath, [script, '--record', recordFile, '--readme', readme, '--check']).status
    expect(check()).toBe(1)
    expect(spawnSync(process.execPath, [script, '--record', recordFile, '--readme', readme]).status).toBe(0)
    expect(readFileSync(readme, 'utf8')).toBe(replaceStressSection(`# x\n${START}\n${END}\n`, md))
    expect(check()).toBe(0)
  })
})
