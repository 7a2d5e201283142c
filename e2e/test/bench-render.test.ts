/**
 * The bench's README renderer (bench/render.mjs): every figure of the performance section comes from the
 * bench record, with the server it ran on and the run's stamp; --check tells whether README is current.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, test } from 'vitest'
import { END, renderPerformance, replaceBetweenMarkers, START } from '../../bench/render.mjs'
import { E2E_DIR } from '../support/harness.js'

const tmp = mkdtempSync(join(tmpdir(), 'workerdb-bench-render-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const record = (over: Record<string, unknown> = {}) => ({
  schema: 1, status: 'complete', full: true, startedAt: '2026-12-04T18:00:00.000Z', commit: 'abc123def456', dirty: false,
  node: 'v20.19.0', cores: 2, load: { start: [1.5, 1.2, 1], end: [1.7, 1.3, 1.1] }, reps: 3, durationS: 512, rowsAsked: ['cold', 'suite'],
  work: { schema: '50 tables', suite: { files: 8, transactionsPerFile: 150, queriesPerTransaction: 5, queries: 6000 } },
  servers: {
    embedded: { label: 'embedded PostgreSQL 17.10 (started by the bench, fsync off, RAM disk)', fsync: 'off' },
    url: { label: 'PostgreSQL 15.20 at 127.0.0.1:5432 (fsync on)', fsync: 'on' },
  },
  rows: {
    cold: {
      url: { byN: { 4: { workerdbMs: 4100, workerdbEndMs: 900, workerdbStrategy: 'WAL_LOG', floorMs: 3900, floorStrategy: 'FILE_COPY', floorByStrategy: { WAL_LOG: { ms: 4300 }, FILE_COPY: { ms: 3900 } }, ratioToFloor: 1.05 } } },
    },
    suite: { embedded: { serialMs: 9000, workerdbMs: 5000, withSparesMs: 5100, ceilingMs: 4900, speedup: 1.8, speedupWithSpares: 1.76, ceilingSpeedup: 1.84 } },
  },
  skipped: [], errors: [], ...over,
})

describe('renderPerformance', () => {
  test('stamps the run and names the server of every row', () => {
    const md = renderPerformance(record())
    expect(md).toContain('commit `abc123def456`')
    expect(md).toContain('load average (1, 5, 15 min) 1.5 1.2 1 → 1.7 1.3 1.1')
    expect(md).toContain('**url**: PostgreSQL 15.20 at 127.0.0.1:5432 (fsync on)')
    const rows = md.split('\n').filter((l: string) => l.startsWith('| ') && !l.startsWith('| measure'))
    expect(rows[0]).toMatch(/^\| cold, N=4: .* \| url \| 4100 ms \(WAL_LOG\); teardown 900 ms \| floor: .*FILE_COPY .*3900 ms \| 1.05× of floor \|$/)
    expect(rows[1]).toMatch(/^\| suite, 2 workers .* \| embedded \| 5000 ms; with spares 5100 ms \| .*9000 ms.* \| 1.8× \(spares 1.76×\) vs ceiling 1.84× \|$/)
  })

  test('rows a later run re-measured (--update) are stamped with that run, not passed off as the full run\'s', () => {
    const md = renderPerformance(record({ updates: [{ rowsAsked: ['config'], rows: ['config'], startedAt: '2026-12-05T20:29:00.000Z', commit: 'fedcba987654', dirty: false, node: 'v20.20.2', load: { start: [2, 1, 0.5], end: [1.9, 1, 0.5] }, status: 'complete' }] }))
    expect(md).toContain('commit `abc123def456`')
    expect(md).toContain('Re-measured by a later run (`pnpm bench --only config --update`) of 2026-12-05 20:29 UTC: config, at commit `fedcba987654`')
  })

  test('a ratio below 1 reads as slower, never as "0.68× faster"; the Jest row names its Jest', () => {
    const md = renderPerformance(record({ rows: {
      naive: { url: { byN: { 2: { reps: 3, sql: { naiveMs: 949, workerdbMs: 1405, workerdbFrom: 'cold row', speedup: 0.68 } } } } },
      jest: { url: { jest: '30.5.2', serialMs: 1500, workerdbMs: 1300, ceilingMs: 1200, speedup: 1.15, ceilingSpeedup: 1.25 } },
    } }))
    expect(md).toContain('| 949 ms | 1.47× slower |')
    expect(md).not.toMatch(/0\.\d+× faster/)
    expect(md).toMatch(/\| suite under Jest 30\.5\.2, 2 workers .* \| url \| 1300 ms \| in band on one database 1500 ms; .*1200 ms \| 1\.15× vs ceiling 1\.25× \|/)
  })

  test('the reset row gives the per-test costs on its server, against TRUNCATE of every table in beforeEach', () => {
    const md = renderPerformance(record({ rows: {
      reset: { url: { tables: 50, leaf: 'public.t49', testsPerRep: { noop: 200, oneTable: 20, truncateAll: 3 }, noopMs: 0.65, oneTableMs: 31.7, truncateAllMs: 910, freshCheckMs: 138.1, transactionMs: 0.48, truncateAllVsNoop: 1400, truncateAllVsOneTable: 28.7, repsDone: 3 } },
    } }))
    expect(md).toMatch(/^\| reset per test \(`per: 'test'`\), per test, 50 tables \| url \| nothing written 0\.65 ms; one dirty table \(public\.t49\) 31\.7 ms; a test transaction instead \(BEGIN \+ ROLLBACK\) 0\.48 ms \| TRUNCATE of all 50 tables in beforeEach 910 ms; a fresh connection \+ the check \(the per-file path\) 138 ms \| clean: 1400× faster; one table: 28\.7× faster \|$/m)
  })

  test('a partial or cut-short run says so, with what was skipped or failed', () => {
    const md = renderPerformance(record({ status: 'interrupted', full: false, skipped: [{ row: 'suite', server: 'url', why: 'over the 570 s budget' }] }))
    expect(md).toContain('**a interrupted run** (rows: cold, suite) — not a full `pnpm bench`')
    expect(md).toContain('Skipped: suite on url (over the 570 s budget).')
    expect(renderPerformance(undefined)).toContain('No bench record yet')
  })
})

describe('node bench/render.mjs', () => {
  test('rewrites only what is between the markers, and --check tells whether README is current', () => {
    const readme = join(tmp, 'README.md')
    const input = join(tmp, 'latest.json')
    writeFileSync(readme, `# x\n\n${START}\nstale\n${END}\n\nafter\n`)
    writeFileSync(input, JSON.stringify(record()))
    const script = join(E2E_DIR, '..', 'bench', 'render.mjs')
    expect(() => execFileSync(process.execPath, [script, '--input', input, '--readme', readme, '--check'], { stdio: 'pipe' })).toThrow()
    execFileSync(process.execPath, [script, '--input', input, '--readme', readme], { stdio: 'pipe' })
    const text = readFileSync(readme, 'utf8')
    expect(text.startsWith(`# x\n\n${START}\n_Generated by`)).toBe(true)
    expect(text.endsWith(`${END}\n\nafter\n`)).toBe(true)
    execFileSync(process.execPath, [script, '--input', input, '--readme', readme, '--check'], { stdio: 'pipe' })
    expect(() => replaceBetweenMarkers('# no markers\n', 'x')).toThrow(/bench:start/)
  })
})
