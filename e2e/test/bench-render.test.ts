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

  test('the reset row on SQLite names the project\'s own way in its words', () => {
    const md = renderPerformance(record({
      servers: { sqlite: { label: 'SQLite 3.53.2 (better-sqlite3 12.11.1), database files in a directory under /tmp on ext4', kind: 'sqlite' } },
      rows: { reset: { sqlite: { tables: 50, leaf: 't49', allLabel: 'DELETE of all 50 tables and of sqlite_sequence, in one transaction, in beforeEach', testsPerRep: { noop: 200, oneTable: 20, truncateAll: 3 },
        noopMs: 0.4, oneTableMs: 1.4, truncateAllMs: 1, freshCheckMs: 0.8, truncateAllVsNoop: 3, truncateAllVsOneTable: 0.7, repsDone: 3 } } },
    }))
    expect(md).toMatch(/^\| reset per test \(`per: 'test'`\), per test, 50 tables \| sqlite \| nothing written 0\.40 ms; one dirty table \(t49\) 1\.4 ms \| DELETE of all 50 tables and of sqlite_sequence, in one transaction, in beforeEach 1 ms; .* \| clean: 3× faster; one table: 1\.43× slower \|$/m)
  })

  test('the MariaDB and SQLite rows name their server and work, the ratio against the goal, and what bounds a MariaDB clone', () => {
    const schema = '50 tables × 2,000 rows, 2 secondary indexes each, 49 foreign keys with every parent_id set, in 5 migrations'
    const md = renderPerformance(record({
      servers: {
        mysql: { label: 'MariaDB 10.11.19 at 127.0.0.1:3306 (innodb_flush_log_at_trx_commit=1: every commit waits for the redo log\'s fsync)', kind: 'mysql' },
        sqlite: { label: 'SQLite 3.53.2 (better-sqlite3 12.11.1), database files in a directory under /tmp on ext4', kind: 'sqlite' },
      },
      rows: {
        mysql: { mysql: {
          work: { schema, templateMb: 20.4, buildMs: 1566, planMs: 11, copy: 'table copy', sessions: { one: 3, four: 2 } },
          one: { copyMs: 726, dumpMs: 1381, dropMs: 118, copyFsyncs: 2692, dumpFsyncs: 2697, ratio: 1.9,
            copyCpu: { serverCores: 0.9, serverCpuMsPerClone: 650, leftCpuMsPerClone: 0 }, dumpCpu: { serverCores: 0.8, serverCpuMsPerClone: 1100, leftCpuMsPerClone: 240 } },
          four: { copyMs: 2182, dumpMs: 7595, dropMs: 388, ratio: 3.48, perRep: [3.1, 3.48, 3.9], cpuFloorMs: 884,
            copyCpu: { serverCores: 0.81, benchCores: 0.1, machineCores: 1.89, iowaitPct: 3.9, serverCpuMsPerClone: 442 }, dumpCpu: { serverCores: 0.81, machineCores: 1.98, iowaitPct: 0.6 } },
          cores: 2, durable: true, goal: 2, goalMet: true, cpuBound: true, repsDone: 3,
        } },
        sqlite: { sqlite: {
          work: { schema, templateMb: 12.7, buildMs: 177 }, fsType: 'ext4', copy: 'file copy', reflink: false,
          workerdbMs: 27, dropMs: 31.9, copyFileMs: 25.7, overheadMs: 1.3, overheadRatio: 1.05,
          migrate: { threadsMs: 981, serialMs: 1220, best: 'threads', bestMs: 981 }, speedupVsMigrate: 36.3, repsDone: 3,
        } },
      },
    }))
    expect(md).toContain('- **mysql**: MariaDB 10.11.19 at 127.0.0.1:3306')
    expect(md).toContain('- **sqlite**: SQLite 3.53.2')
    expect(md).toMatch(/^\| MariaDB clone, one alone \(20\.4 MiB template: 50 tables × 2,000 rows.*\) \| mysql \| workerdb copy \(tables made and filled over 3 sessions\) 726 ms \(server CPU 650 ms \+ 0 ms in the background after it returned, 2692 InnoDB fsyncs\); its drop 118 ms \| `mysqldump --single-transaction --skip-lock-tables --routines --events \\\| mysql` into a new database 1381 ms \(server CPU 1100 ms \+ 240 ms in the background after it returned, 2697 InnoDB fsyncs\) \| 1\.9× faster \|$/m)
    expect(md).toMatch(/^\| MariaDB clones, 4 at once .* \| mysql \| workerdb copy, a lane each \(tables made and filled over 2 sessions\) 2182 ms \(CPU meanwhile: 1\.89 of 2 cores busy, the server 0\.81, the bench and its clients 0\.1, other work 0\.98; iowait 3\.9%\); their drop 388 ms \| 4 such pipelines at once 7595 ms .*\| 3\.48× faster \(per rep: 3\.1×, 3\.48×, 3\.9×\); the goal: ≥ 2× faster, met \|$/m)
    expect(md).toMatch(/^\| SQLite, 4 clones \(12\.7 MiB template file: .*; on ext4, no reflinks: plain copies\) \| sqlite \| workerdb copy 27 ms .*\| by hand: the migrations into 4 fresh files 981 ms \(in 4 worker threads, the faster; one after another 1220 ms\); fs\.copyFile .* 25\.7 ms \| 36\.3× faster than migrating; 1\.05× the time of fs\.copyFile \(\+1\.3 ms for 4\) \|$/m)
    expect(md).toContain('workerdb\'s clone is 3.48× faster than `mysqldump | mysql` with 4 at once (the goal: ≥ 2×, met)')
    expect(md).toContain('Both ways pay the same syncs to disk (2692 InnoDB fsyncs for workerdb\'s clone, 2697 for the dump\'s, server-wide counts)')
    expect(md).toContain('What workerdb saves is the server\'s CPU: 650 ms per clone against 1100 ms')
    expect(md).toContain('workerdb\'s 4 copies cost the server 1768 ms of CPU, so even with all 2 cores to themselves they could not take less than 884 ms; they took 2182 ms, ' +
      'with 1.89 of 2 cores busy (0.98 of them other work on the machine) and iowait 3.9%: CPU-bound on this 2-core machine')
    expect(md).toContain('need the server\'s datadir')
  })

  test('on the server workerdb starts itself, the MariaDB reading says its data dir is in memory, and names no disk floor', () => {
    const schema = '50 tables × 2,000 rows'
    const md = renderPerformance(record({
      servers: {
        'own-mariadb': { label: "MariaDB 10.11.19 in a container as workerdb starts one for `dialect: 'mysql'` with no URL (workerdb/mariadb:10.11-local, started by the bench; --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-log-bin, data dir in memory)",
          kind: 'mysql', product: 'MariaDB', image: 'workerdb/mariadb:10.11-local', memory: true },
      },
      rows: {
        mysql: { 'own-mariadb': {
          work: { schema, templateMb: 20.4, buildMs: 900, planMs: 11, copy: 'table copy', sessions: { one: 3, four: 2 } },
          one: { copyMs: 220, dumpMs: 870, dropMs: 60, copyFsyncs: 2690, dumpFsyncs: 2695, ratio: 3.95, copyCpu: { serverCpuMsPerClone: 300 }, dumpCpu: { serverCpuMsPerClone: 900 } },
          four: { copyMs: 850, dumpMs: 2570, dropMs: 150, ratio: 3.02, perRep: [3, 3.02, 3.1], cpuFloorMs: 700,
            copyCpu: { serverCores: 1.6, benchCores: 0.1, machineCores: 1.9, iowaitPct: 0.2, serverCpuMsPerClone: 350 }, dumpCpu: { serverCores: 1.5, machineCores: 1.95, iowaitPct: 0 } },
          cores: 2, durable: false, goal: 2, goalMet: true, cpuBound: true, repsDone: 3,
        } },
      },
    }))
    expect(md).toMatch(/^\| MariaDB clones, 4 at once .* \| own-mariadb \| .* \| 3\.02× faster .*; the goal: ≥ 2× faster, met \|$/m)
    expect(md).toContain("MariaDB (the two rows on **own-mariadb**): workerdb's clone is 3.02× faster than `mysqldump | mysql` with 4 at once (the goal: ≥ 2×, met)")
    expect(md).toContain('its data dir is in memory, so the syncs both ways make (2690 InnoDB fsyncs for workerdb\'s clone, 2695 for the dump\'s) wait for no disk')
    expect(md).not.toContain('need the server\'s datadir')
    expect(md).not.toContain('does not wait for the disk at each commit')
    expect(md).not.toContain('one at a time both ways')
    // MySQL's reading names its floor: the rows' CPU both ways pay.
    const mysql = renderPerformance(record({
      servers: { 'own-mysql': { label: 'MySQL 9.7.4 in a container as workerdb starts one', kind: 'mysql', product: 'MySQL', image: 'workerdb/mysql:sid-local', memory: true } },
      rows: { mysql: { 'own-mysql': {
        work: { schema, templateMb: 17.5, buildMs: 1400, planMs: 39, copy: 'table copy' },
        one: { copyMs: 1005, dumpMs: 2248, dropMs: 100, copyFsyncs: 1824, dumpFsyncs: 1762, ratio: 2.24 },
        four: { copyMs: 4217, dumpMs: 6809, dropMs: 418, ratio: 1.61 },
        cores: 2, durable: false, goal: 2, goalMet: false, repsDone: 7,
      } } },
    }))
    expect(mysql).toContain('MySQL (the two rows on **own-mysql**): workerdb\'s clone is 1.61× faster than `mysqldump | mysql` with 4 at once (the goal: ≥ 2×, not met)')
    expect(mysql).toContain('MySQL puts each row into each of its indexes one at a time both ways')
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
