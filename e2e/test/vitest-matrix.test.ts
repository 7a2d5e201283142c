/**
 * The fidelity matrix (scripts/matrix.mjs, test-support/matrix.ts): rendered from one e2e run only, grouped
 * by framework × version × pool × mode; a listed scenario the run did not record shows as skipped; the stamp
 * names the run's commit; --check compares the table rows, not the stamp.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { END, renderMatrix, replaceBetweenMarkers, splitRun, START, tableRows } from '../../scripts/matrix.mjs'
import { gitState, latestRunFile, recordMatrix, startMatrixRun } from '../../test-support/matrix.js'
import { E2E_DIR } from '../support/harness.js'

const row = (over: Record<string, unknown>) => ({ framework: 'vitest', version: '4.1.12', pool: 'forks', mode: 'run', scenario: 'seed ×30', result: 'pass', at: '2026-06-30T12:00:00Z', ...over })
const header = { kind: 'run', run: '20260630T120000Z-42', commit: '0123456789abcdef0123', dirty: false, startedAt: '2026-06-30T12:00:00.000Z' }
const listed = (r: Record<string, unknown>) => { const { result, at, ...s } = row(r); return s }

const tmp = mkdtempSync(join(tmpdir(), 'workerdb-matrix-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const table = (md: string) => md.split('\n').filter((l: string) => l.startsWith('| '))

describe('renderMatrix', () => {
  test('one row per framework × version × pool × mode, from this run\'s results', () => {
    const md = renderMatrix([
      row({}),
      row({ scenario: '1 file, maxWorkers 3' }),
      row({ mode: 'watch', scenario: 'touch, add, rerun all, q', result: 'fail' }),
      row({ version: '3.2.7' }),
    ], { header })
    expect(table(md)).toEqual([
      '| framework | version | pool | mode | scenarios | result |',
      '| vitest | 3.2.7 | forks | run | ✓ seed ×30 | ✅ pass |',
      '| vitest | 4.1.12 | forks | run | ✓ 1 file, maxWorkers 3<br>✓ seed ×30 | ✅ pass |',
      '| vitest | 4.1.12 | forks | watch | ✗ touch, add, rerun all, q | ❌ 1 of 1 failed |',
    ])
  })

  test('a listed scenario the run did not record, or recorded as skipped, shows as skipped — never as passed', () => {
    const scenarios = [listed({}), listed({ scenario: 'isolate: false' }), listed({ mode: 'watch', scenario: 'q' }), listed({ version: '3.2.7', scenario: 'gone' })]
    const md = renderMatrix([row({}), row({ mode: 'watch', scenario: 'q', result: 'skip' })], { header, scenarios })
    expect(table(md).slice(1)).toEqual([
      '| vitest | 3.2.7 | forks | run | – gone (skipped) | ⏭️ skipped |',
      '| vitest | 4.1.12 | forks | run | – isolate: false (skipped)<br>✓ seed ×30 | ⚠️ 1 of 2 skipped |',
      '| vitest | 4.1.12 | forks | watch | – q (skipped) | ⏭️ skipped |',
    ])
  })

  test('a scenario only the full run runs shows as such when this run did not record it, and as what happened when it did', () => {
    const scenarios = [listed({}), listed({ scenario: 'vmThreads', full: true }), listed({ version: '3.2.7', scenario: 'older', full: true })]
    expect(table(renderMatrix([row({})], { header, scenarios })).slice(1)).toEqual([
      '| vitest | 3.2.7 | forks | run | ◇ older | ◇ full run only |',
      '| vitest | 4.1.12 | forks | run | ✓ seed ×30<br>◇ vmThreads | ✅ pass (1 more in the full run) |',
    ])
    // A full run records them: their results show, a failure among them too.
    expect(table(renderMatrix([row({}), row({ scenario: 'vmThreads', result: 'fail' }), row({ version: '3.2.7', scenario: 'older' })], { header, scenarios })).slice(1)).toEqual([
      '| vitest | 3.2.7 | forks | run | ✓ older | ✅ pass |',
      '| vitest | 4.1.12 | forks | run | ✓ seed ×30<br>✗ vmThreads | ❌ 1 of 2 failed |',
    ])
  })

  test('the stamp names the run and its commit (and says when the tree had changes)', () => {
    expect(renderMatrix([row({})], { header })).toContain('_Run 20260630T120000Z-42, started 2026-06-30 12:00 UTC on commit `0123456789ab`._')
    expect(renderMatrix([row({})], { header: { ...header, dirty: true } })).toContain('on commit `0123456789ab` with uncommitted changes._')
    // The stamp is not part of what --check compares.
    expect(tableRows(renderMatrix([row({})], { header }))).toEqual(tableRows(renderMatrix([row({})], { header: { ...header, commit: 'f'.repeat(40) } })))
  })

  test('a run\'s header is read apart from its results; the last result of a scenario in the run wins', () => {
    const { header: h, results } = splitRun([header, row({ result: 'fail' }), row({}), { cut: 'short' }])
    expect(h).toEqual(header)
    expect(results).toEqual([row({})])
  })

  test('other frameworks render next to Vitest (framework column first)', () => {
    const md = renderMatrix([row({}), row({ framework: 'jest', version: '30.2.0', pool: 'workers', scenario: 'seed ×30' })], { header })
    const lines = table(md).slice(1)
    expect(lines[0]).toMatch(/^\| jest \| 30\.2\.0 \| workers \| run \|/)
    expect(lines[1]).toMatch(/^\| vitest \| 4\.1\.12 \|/)
  })
})

describe('test-support/matrix.ts', () => {
  test('each run starts a fresh results file, headed with the commit it runs on, and records go to it', () => {
    const saved = process.env.E2E_MATRIX_FILE
    try {
      const runsDir = join(tmp, 'runs')
      const latestFile = join(tmp, 'latest')
      const first = startMatrixRun({ runsDir, latestFile, now: new Date('2026-06-30T12:00:00Z') })
      recordMatrix(row({}) as never)
      const second = startMatrixRun({ runsDir, latestFile, now: new Date('2026-06-30T13:00:00Z') })
      recordMatrix(row({ scenario: 'other' }) as never)
      expect(second).not.toBe(first)
      expect(latestRunFile(latestFile)).toBe(second)
      const lines = readFileSync(second, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      expect(lines[0]).toMatchObject({ kind: 'run', ...gitState(), startedAt: '2026-06-30T13:00:00.000Z' })
      expect(lines.slice(1).map((l) => l.scenario)).toEqual(['other'])
      expect(gitState().commit).toMatch(/^[0-9a-f]{40}$/)
    } finally {
      if (saved === undefined) delete process.env.E2E_MATRIX_FILE
      else process.env.E2E_MATRIX_FILE = saved
    }
  })
})

describe('node scripts/matrix.mjs', () => {
  const script = join(E2E_DIR, '..', 'scripts', 'matrix.mjs')
  const run = (args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' })

  test('rewrites only what is between the markers; --check compares the rows, not the stamp', () => {
    const readme = join(tmp, 'README.md')
    const input = join(tmp, 'run.jsonl')
    const scenarios = join(tmp, 'scenarios.json')
    writeFileSync(scenarios, JSON.stringify({ scenarios: [listed({}), listed({ scenario: 'not run' })] }))
    writeFileSync(readme, `# x\n\nbefore\n\n${START}\nstale\n${END}\n\nafter\n`)
    writeFileSync(input, `${JSON.stringify(header)}\n${JSON.stringify(row({}))}\n{"cut short\n`)
    const args = ['--input', input, '--readme', readme, '--scenarios', scenarios]
    expect(run([...args, '--check']).status).toBe(1)
    execFileSync(process.execPath, [script, ...args], { stdio: 'pipe' })
    const text = readFileSync(readme, 'utf8')
    expect(text.startsWith('# x\n\nbefore\n\n<!-- matrix:start -->\n_Generated by')).toBe(true)
    expect(text).toContain('| vitest | 4.1.12 | forks | run | – not run (skipped)<br>✓ seed ×30 | ⚠️ 1 of 2 skipped |')
    expect(text.endsWith(`${END}\n\nafter\n`)).toBe(true)
    expect(text).not.toContain('stale')
    expect(run([...args, '--check']).status).toBe(0)
    // Another run of the same results on another commit: same rows, so --check passes.
    writeFileSync(input, `${JSON.stringify({ ...header, commit: 'f'.repeat(40), run: 'later' })}\n${JSON.stringify(row({}))}\n`)
    expect(run([...args, '--check']).status).toBe(0)
    // A run where the listed scenario failed: the rows differ, and --check says how.
    writeFileSync(input, `${JSON.stringify(header)}\n${JSON.stringify(row({ result: 'fail' }))}\n`)
    const failed = run([...args, '--check'])
    expect(failed.status).toBe(1)
    expect(failed.stderr).toContain('+ | vitest | 4.1.12 | forks | run | – not run (skipped)<br>✗ seed ×30 | ❌ 1 of 2 failed, 1 skipped |')
  })

  test('--check fails on a scenario the committed list lacks; --add-scenarios adds it', () => {
    const readme = join(tmp, 'README2.md')
    const input = join(tmp, 'run2.jsonl')
    const scenarios = join(tmp, 'scenarios2.json')
    writeFileSync(scenarios, JSON.stringify({ scenarios: [listed({})] }))
    writeFileSync(readme, `${START}\n${END}\n`)
    writeFileSync(input, `${JSON.stringify(header)}\n${JSON.stringify(row({}))}\n${JSON.stringify(row({ scenario: 'new one' }))}\n`)
    const args = ['--input', input, '--readme', readme, '--scenarios', scenarios]
    execFileSync(process.execPath, [script, ...args], { stdio: 'pipe' })
    const r = run([...args, '--check'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('not in')
    expect(r.stderr).toContain('new one')
    execFileSync(process.execPath, [script, ...args, '--add-scenarios'], { stdio: 'pipe' })
    expect(JSON.parse(readFileSync(scenarios, 'utf8')).scenarios.map((s: { scenario: string }) => s.scenario)).toEqual(['new one', 'seed ×30'])
    expect(run([...args, '--check']).status).toBe(0)
  })

  test('--check without a run to check against fails; a render without one leaves the README alone', () => {
    const readme = join(tmp, 'README3.md')
    writeFileSync(readme, `${START}\nkept\n${END}\n`)
    const missing = join(tmp, 'no-such-run.jsonl')
    expect(run(['--input', missing, '--readme', readme, '--check']).status).toBe(1)
    expect(run(['--input', missing, '--readme', readme]).status).toBe(0)
    expect(readFileSync(readme, 'utf8')).toContain('kept')
  })

  test('a README without markers is an error, not a silent no-op', () => {
    expect(() => replaceBetweenMarkers('# no markers\n', 'x')).toThrow(/matrix:start/)
  })
})
