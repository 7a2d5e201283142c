/**
 * claimWorkerDatabase(): how a process without a worker id (node --test, a script) takes one clone of a
 * `workerdb provision` run — exclusively while it lives, never one another live process holds.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { flag } from '../src/cli/output.js'
import { WorkerDbError } from '../src/errors.js'
import type { Manifest } from '../src/runfile/manifest.js'
import { claimWorkerDatabase, getWorkerDatabase } from '../src/worker.js'

const dir = mkdtempSync(join(tmpdir(), 'workerdb-claim-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function manifestFile(n: number): string {
  const file = join(dir, `run${n}abcd.json`)
  const m: Manifest = {
    version: 1, runId: `run${n}abcd`, framework: 'workerdb provision', plan: { count: n, reason: `workerdb provision --workers ${n}` },
    server: 'server', env: { DATABASE_URL: 'url', PGDATABASE: 'database' }, workerIdVar: 'WORKERDB_WORKER_ID',
    template: null, detached: true,
    clones: Array.from({ length: n }, (_, i) => ({ slot: i + 1, database: `wdb_run${n}abcd_${i + 1}`, url: `postgresql://u:secret@h:5432/wdb_run${n}abcd_${i + 1}` })),
  }
  writeFileSync(file, JSON.stringify(m))
  return file
}

describe('claimWorkerDatabase', () => {
  it('takes the first free clone, exports it like setupWorker, and holds it with a lock file naming this process', () => {
    const file = manifestFile(2)
    writeFileSync(`${file}.slot-1.lock`, '999999') // slot 1 is held by someone else
    const env: NodeJS.ProcessEnv = { WORKERDB_MANIFEST: file }
    const db = claimWorkerDatabase(env)
    expect(db).toMatchObject({ workerId: 2, database: 'wdb_run2abcd_2', runId: 'run2abcd' })
    expect(env).toMatchObject({ DATABASE_URL: 'postgresql://u:secret@h:5432/wdb_run2abcd_2', PGDATABASE: 'wdb_run2abcd_2', WORKERDB_WORKER_ID: '2' })
    expect(getWorkerDatabase(env).database).toBe('wdb_run2abcd_2')
    expect(readFileSync(`${file}.slot-2.lock`, 'utf8')).toBe(String(process.pid))
  })

  it('when every clone is held: E_NO_CLONE naming the holders, the concurrency to use and how to get more', () => {
    const file = join(dir, 'run2abcd.json')
    try {
      claimWorkerDatabase({ WORKERDB_MANIFEST: file })
      expect.unreachable()
    } catch (err) {
      const e = err as WorkerDbError
      expect(e.code).toBe('E_NO_CLONE')
      expect(e.message).toContain('all 2 databases of run run2abcd are claimed')
      expect(e.message).toContain('slot 1 (pid 999999)')
      expect(e.message).toContain(`slot 2 (pid ${process.pid})`)
      expect(e.hint).toContain('--test-concurrency=2')
      expect(e.hint).toContain('workerdb teardown run2abcd')
      expect(`${e.message}${e.hint}`).not.toContain('secret')
    }
  })

  it('an id set by the caller wins, without a lock', () => {
    const file = manifestFile(3)
    const env: NodeJS.ProcessEnv = { WORKERDB_MANIFEST: file, WORKERDB_WORKER_ID: '3' }
    expect(claimWorkerDatabase(env).database).toBe('wdb_run3abcd_3')
    expect(existsSync(`${file}.slot-3.lock`)).toBe(false)
  })

  it('a claim ends with its process (the lock file goes at exit)', () => {
    const file = manifestFile(1)
    const worker = join(__dirname, '..', 'src', 'worker.ts')
    const r = spawnSync(process.execPath, ['-e', `
      const { claimWorkerDatabase } = require('jiti').createJiti(process.cwd() + '/x.js')(${JSON.stringify(worker)})
      const db = claimWorkerDatabase()
      const fs = require('node:fs')
      console.log(db.database, fs.existsSync(${JSON.stringify(`${file}.slot-1.lock`)}))
    `], { env: { ...process.env, WORKERDB_MANIFEST: file, WORKERDB_WORKER_ID: '' }, encoding: 'utf8', cwd: join(__dirname, '..') })
    expect(r.stdout.trim(), r.stderr).toBe('wdb_run1abcd_1 true')
    expect(existsSync(`${file}.slot-1.lock`)).toBe(false)
  })
})

describe('CLI flags', () => {
  it('reads --name value and --name=value', () => {
    expect(flag(['provision', '--workers', '4', '--json'], 'workers')).toBe('4')
    expect(flag(['provision', '--workers=5'], 'workers')).toBe('5')
    expect(flag(['provision'], 'workers')).toBeUndefined()
  })
})
