import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WorkerDbError } from '../src/errors.js'
import { MANIFEST_ENV, writeFailedManifest, writeManifest, writePendingManifest, type Manifest } from '../src/runfile/manifest.js'
import { ownStartTicks } from '../src/runfile/liveness.js'
import { cloneFor, getWorkerDatabase, readManifest, readyManifest, registerTestReset, setupWorker, waitForManifest } from '../src/worker.js'
import type { EnvSpec } from '../src/env.js'
import { thrownError as error } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'workerdb-worker-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const SERVER = 'postgresql://alice:p%40ss%3Aw%2Frd@db.example:6543'
const urlOf = (database: string) => `${SERVER}/${database}`

function manifest(over: Partial<Manifest> & { count?: number } = {}): Manifest {
  const { count = 3, ...rest } = over
  return {
    version: 1,
    runId: 'run12345',
    framework: 'vitest 4.1.12',
    plan: { count, reason: 'vitest 4, pool forks, maxWorkers 3, 7 test files' },
    server: 'server postgresql://alice:***@db.example:6543/postgres',
    env: { DATABASE_URL: 'url' },
    workerIdVar: 'VITEST_POOL_ID',
    template: { name: 'wdb_tpl_0123456789abcdef', hash: '0123456789abcdef'.repeat(4), reused: true },
    clones: Array.from({ length: count }, (_, i) => ({ slot: i + 1, database: `wdb_run12345_${i + 1}`, url: urlOf(`wdb_run12345_${i + 1}`) })),
    ...rest,
  }
}

let n = 0
/** Writes the manifest the way provision() does and returns an env object pointing at it. */
function envWith(m: Manifest, vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = join(dir, `manifest-${++n}.json`)
  writeManifest(path, m)
  return { [MANIFEST_ENV]: path, ...vars }
}

describe('setupWorker', () => {
  it('maps the worker id to its clone and exports DATABASE_URL', () => {
    const env = envWith(manifest(), { VITEST_POOL_ID: '2' })
    const db = setupWorker(env)
    expect(env.DATABASE_URL).toBe(urlOf('wdb_run12345_2'))
    expect(db).toEqual({
      url: urlOf('wdb_run12345_2'), database: 'wdb_run12345_2', host: 'db.example', port: '6543', user: 'alice', workerId: 2, runId: 'run12345',
    })
  })

  it('writes only into the env object it is given, never into process.env', () => {
    const before = process.env.DATABASE_URL
    setupWorker(envWith(manifest(), { VITEST_POOL_ID: '1' }))
    expect(process.env.DATABASE_URL).toBe(before)
  })

  it('reads the worker id from the variable the manifest names', () => {
    const env = envWith(manifest({ workerIdVar: 'JEST_WORKER_ID', framework: 'jest 30.0.0' }), { VITEST_POOL_ID: '1', JEST_WORKER_ID: '3' })
    expect(setupWorker(env).workerId).toBe(3)
    expect(env.DATABASE_URL).toBe(urlOf('wdb_run12345_3'))
  })

  it('overrides a DATABASE_URL already in the env (e.g. from test.env)', () => {
    const env = envWith(manifest(), { VITEST_POOL_ID: '1', DATABASE_URL: 'postgresql://prod@prod/app' })
    setupWorker(env)
    expect(env.DATABASE_URL).toBe(urlOf('wdb_run12345_1'))
  })

  it('exports discrete settings through the env map, decoded', () => {
    const spec: EnvSpec = { APP_DB_URL: 'url', APP_DB_HOST: 'host', PGPORT: 'port', PGUSER: 'user', PGPASSWORD: 'password', PGDATABASE: 'database' }
    const env = envWith(manifest({ env: spec }), { VITEST_POOL_ID: '3' })
    setupWorker(env)
    expect(env.APP_DB_URL).toBe(urlOf('wdb_run12345_3'))
    expect(env.APP_DB_HOST).toBe('db.example')
    expect(env.PGPORT).toBe('6543')
    expect(env.PGUSER).toBe('alice')
    expect(env.PGPASSWORD).toBe('p@ss:w/rd')
    expect(env.PGDATABASE).toBe('wdb_run12345_3')
    // The default DATABASE_URL is not exported when the map does not name it.
    expect(env.DATABASE_URL).toBeUndefined()
  })

  it('exports the default port 5432 when the URL has none', () => {
    const m = manifest({ env: { PGPORT: 'port', PGHOST: 'host' } })
    m.clones[0].url = 'postgresql://bob@localhost/wdb_run12345_1'
    const env = envWith(m, { VITEST_POOL_ID: '1' })
    setupWorker(env)
    expect(env.PGPORT).toBe('5432')
    expect(env.PGHOST).toBe('localhost')
  })

  it('leaves a variable alone when the URL lacks its part: a password from the project\'s .env is not blanked', () => {
    const m = manifest({ env: { DATABASE_URL: 'url', DATABASE_PASSWORD: 'password', DATABASE_USER: 'user', DATABASE_NAME: 'database' } })
    m.clones[0].url = 'postgresql://bob@localhost/wdb_run12345_1'
    const env = envWith(m, { VITEST_POOL_ID: '1', DATABASE_PASSWORD: 'from-dotenv' })
    setupWorker(env)
    expect(env.DATABASE_PASSWORD).toBe('from-dotenv')
    expect(env.DATABASE_USER).toBe('bob')
    expect(env.DATABASE_NAME).toBe('wdb_run12345_1')
    expect('DATABASE_PASSWORD' in envWith(m, { VITEST_POOL_ID: '1' })).toBe(false)
  })

  it('exports an IPv6 host without brackets (what PGHOST and drivers expect)', () => {
    const m = manifest({ env: { PGHOST: 'host', PGPORT: 'port' } })
    m.clones[0].url = 'postgresql://bob@[::1]:5433/wdb_run12345_1'
    const env = envWith(m, { VITEST_POOL_ID: '1' })
    setupWorker(env)
    expect(env.PGHOST).toBe('::1')
    expect(env.PGPORT).toBe('5433')
  })

  it('is idempotent (setup files run once per test file)', () => {
    const env = envWith(manifest(), { VITEST_POOL_ID: '2' })
    const first = setupWorker(env)
    const second = setupWorker(env)
    expect(second).toEqual(first)
    expect(env.DATABASE_URL).toBe(urlOf('wdb_run12345_2'))
  })

  it('uses a manifest the caller read already, without reading the file again', () => {
    const env = envWith(manifest({ count: 2 }), { VITEST_POOL_ID: '2' })
    const read = readManifest(env)
    rmSync(env[MANIFEST_ENV]!)
    expect(setupWorker(env, read).database).toBe('wdb_run12345_2')
    // Without it, the file is read — and it is gone.
    expect(error(() => setupWorker(env)).code).toBe('E_NO_MANIFEST')
  })

  it('a manifest handed over still fails as the run failed, or as pending', () => {
    const env: NodeJS.ProcessEnv = { VITEST_POOL_ID: '1' }
    const failed = { ...manifest(), failed: { code: 'E_SERVER_UNREACHABLE' as const, detail: 'cannot reach the server', hint: 'Start it.' } }
    expect(error(() => setupWorker(env, failed)).message).toBe('E_SERVER_UNREACHABLE: cannot reach the server\n  → Start it.')
    expect(error(() => setupWorker(env, { ...manifest(), pending: true })).message).toMatch(/still provisioning/)
    expect(env.DATABASE_URL).toBeUndefined()
  })

  it('E_NO_MANIFEST when the manifest variable is missing, naming the fix', () => {
    const e = error(() => setupWorker({ VITEST_POOL_ID: '1' }))
    expect(e.code).toBe('E_NO_MANIFEST')
    expect(e.message).toContain(MANIFEST_ENV)
    expect(e.hint).toMatch(/plugin|preset/)
  })

  it('E_NO_MANIFEST when the manifest file is gone, naming the path', () => {
    const path = join(dir, 'gone.json')
    const e = error(() => setupWorker({ [MANIFEST_ENV]: path, VITEST_POOL_ID: '1' }))
    expect(e.code).toBe('E_NO_MANIFEST')
    expect(e.message).toContain(path)
    expect(e.hint.length).toBeGreaterThan(0)
  })

  it('E_NO_MANIFEST when the manifest file is not JSON', () => {
    const path = join(dir, 'broken.json')
    writeFileSync(path, '{ not json')
    expect(error(() => readManifest({ [MANIFEST_ENV]: path })).code).toBe('E_NO_MANIFEST')
  })

  it('E_NO_CLONE when the worker id is missing, naming the variable', () => {
    const e = error(() => setupWorker(envWith(manifest())))
    expect(e.code).toBe('E_NO_CLONE')
    expect(e.message).toContain('VITEST_POOL_ID')
  })
})

describe('cloneFor', () => {
  it('finds the clone of each slot', () => {
    const m = manifest({ count: 4 })
    for (const id of ['1', '2', '3', '4']) expect(cloneFor(m, id).database).toBe(`wdb_run12345_${id}`)
  })

  it('finds slots by number, not by position in the list', () => {
    const m = manifest({ count: 3 })
    m.clones.reverse()
    expect(cloneFor(m, '1').database).toBe('wdb_run12345_1')
  })

  describe('E_NO_CLONE for a worker the plan did not cover', () => {
    const m = manifest({ count: 2, plan: { count: 2, reason: 'vitest 3, pool forks, max 2, 2 test files' } })
    const e = error(() => cloneFor(m, '4'))

    it('has the code E_NO_CLONE', () => expect(e.code).toBe('E_NO_CLONE'))
    it('names the worker id', () => expect(e.message).toContain('worker 4'))
    it('names how many clones were provisioned', () => expect(e.message).toContain('2 clones'))
    it('names the plan reason', () => expect(e.message).toContain('vitest 3, pool forks, max 2, 2 test files'))
    it('names a fix', () => {
      expect(e.hint).toContain('maxWorkers: 2')
      expect(e.message).toContain(e.hint)
    })
  })

  it('uses the singular for one clone', () => {
    const e = error(() => cloneFor(manifest({ count: 1 }), '2'))
    expect(e.message).toMatch(/\b1 clone\b(?!s)/)
  })

  it.each([undefined, '', '0', '-1', 'abc', '1.5', ' '])('rejects the worker id %j with E_NO_CLONE naming the variable and the runner', (id) => {
    const e = error(() => cloneFor(manifest(), id))
    expect(e.code).toBe('E_NO_CLONE')
    expect(e.message).toContain('VITEST_POOL_ID')
    expect(e.hint).toContain('vitest 4.1.12')
  })
})

describe('getWorkerDatabase', () => {
  it('returns what setupWorker mapped', () => {
    const env = envWith(manifest(), { VITEST_POOL_ID: '3' })
    const mapped = setupWorker(env)
    expect(getWorkerDatabase(env)).toEqual(mapped)
    expect(getWorkerDatabase(env).database).toBe('wdb_run12345_3')
  })

  it('E_NO_MANIFEST outside a worker workerdb set up', () => {
    const e = error(() => getWorkerDatabase({}))
    expect(e.code).toBe('E_NO_MANIFEST')
    expect(e.hint.length).toBeGreaterThan(0)
  })
})

describe('readyManifest: the common case a setup file can map at once', () => {
  const run = { runId: 'run12345', framework: 'vitest 4.1.12', plan: { count: 2, reason: 'test' }, env: { DATABASE_URL: 'url' } as EnvSpec, workerIdVar: 'VITEST_POOL_ID' }

  it('is the manifest when the clones exist and nothing is to be reset; setupWorker maps with it', () => {
    const env = envWith(manifest(), { VITEST_POOL_ID: '3' })
    const ready = readyManifest(env)
    expect(ready?.runId).toBe('run12345')
    expect(setupWorker(env, ready).database).toBe('wdb_run12345_3')
  })

  it('is undefined whenever a worker has more to do: pending, failed, a reset, a missing file, no manifest at all', () => {
    const pending = join(dir, `ready-pending-${++n}.json`)
    writePendingManifest(pending, run)
    const failed = join(dir, `ready-failed-${++n}.json`)
    writeFailedManifest(failed, run, new WorkerDbError('E_CLONE', 'boom', 'fix'))
    const reset = envWith(manifest({ reset: { statement: 'TRUNCATE TABLE "t"', refs: [{ schema: 'public', name: 't' }], referencedBy: [[]], check: 'select', per: 'file' } }))
    expect(readyManifest({ [MANIFEST_ENV]: pending })).toBeUndefined()
    expect(readyManifest({ [MANIFEST_ENV]: failed })).toBeUndefined()
    expect(readyManifest(reset)).toBeUndefined()
    expect(readyManifest({ [MANIFEST_ENV]: join(dir, 'no-such-manifest.json') })).toBeUndefined()
    expect(readyManifest({})).toBeUndefined()
  })
})

describe('registerTestReset', () => {
  it('registers no hook in a file that opened no reset per test (no reset, or per file)', () => {
    const hooks: string[] = []
    expect(registerTestReset({ beforeEach: () => hooks.push('beforeEach'), afterAll: () => hooks.push('afterAll') })).toBe(false)
    expect(hooks).toEqual([])
  })
})

describe('waitForManifest: the pool starts while the runner provisions', () => {
  const run = { runId: 'run12345', framework: 'vitest 4.1.12', plan: { count: 2, reason: 'test' }, env: { DATABASE_URL: 'url' } as EnvSpec, workerIdVar: 'VITEST_POOL_ID' }

  it('waits while the manifest is pending, then setupWorker finds the clone', async () => {
    const path = join(dir, `pending-${++n}.json`)
    writePendingManifest(path, run)
    const env: NodeJS.ProcessEnv = { [MANIFEST_ENV]: path, VITEST_POOL_ID: '2' }
    expect(error(() => setupWorker(env)).message).toMatch(/^E_NO_MANIFEST: run run12345 is still provisioning its databases/)
    let settled = false
    const waiting = waitForManifest(env, 2).then(() => { settled = true })
    await new Promise((r) => setTimeout(r, 60))
    expect(settled).toBe(false)
    writeManifest(path, manifest({ count: 2 }))
    await waiting
    expect(setupWorker(env).database).toBe('wdb_run12345_2')
    // What it resolves with is that final manifest, for the setup file's single read.
    expect((await waitForManifest(env, 2))?.pending).toBeUndefined()
  })

  it('a failed run: every worker throws the run\'s own error, redacted', async () => {
    const path = join(dir, `failed-${++n}.json`)
    writePendingManifest(path, run)
    const env: NodeJS.ProcessEnv = { [MANIFEST_ENV]: path, VITEST_POOL_ID: '1' }
    const waiting = waitForManifest(env, 2)
    // The runner's provision() removes the manifest as it fails; the failure is written a moment later.
    rmSync(path)
    await new Promise((r) => setTimeout(r, 30))
    writeFailedManifest(path, run, new WorkerDbError('E_SERVER_UNREACHABLE', 'cannot reach postgresql://bob:hunter22@db:5432/postgres', 'Start the server.'))
    await waiting
    const e = error(() => setupWorker(env)) as WorkerDbError
    expect(e.code).toBe('E_SERVER_UNREACHABLE')
    expect(e.message).toBe('E_SERVER_UNREACHABLE: cannot reach postgresql://bob:***@db:5432/postgres\n  → Start the server.')
    writeFailedManifest(path, run, new Error('boom'))
    expect(error(() => readManifest(env)).message).toMatch(/^E_NO_MANIFEST: provisioning failed: boom/)
  })

  it('gives up with E_NO_MANIFEST when the runner died while provisioning', async () => {
    const path = join(dir, `orphan-${++n}.json`)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    writeManifest(path, { ...manifest(), clones: [], pending: true, pid: Number(dead.stdout), host: hostname() })
    const e = await waitForManifest({ [MANIFEST_ENV]: path }, 2).then(() => undefined, (err: Error) => err)
    expect(e?.message).toMatch(/^E_NO_MANIFEST: the runner of run run12345 \(pid \d+\) ended while it was provisioning/)
  })

  it.skipIf(process.platform !== 'linux')('gives up when the runner\'s pid now belongs to another process (another start time than the manifest records)', async () => {
    const path = join(dir, `reused-${++n}.json`)
    const startTicks = ownStartTicks()! - 1
    writeManifest(path, { ...manifest(), clones: [], pending: true, pid: process.pid, host: hostname(), createdAt: new Date().toISOString(), startTicks })
    const e = await waitForManifest({ [MANIFEST_ENV]: path }, 2).then(() => undefined, (err: Error) => err)
    expect(e?.message).toMatch(/^E_NO_MANIFEST: the runner of run run12345 \(pid \d+\) ended while it was provisioning/)
  })

  it('returns at once when there is nothing to wait for (readManifest explains)', async () => {
    expect(await waitForManifest({}, 2)).toBeUndefined()
    expect(await waitForManifest({ [MANIFEST_ENV]: join(dir, 'never-written.json') }, 2)).toBeUndefined()
    expect((await waitForManifest(envWith(manifest()), 2))?.clones).toHaveLength(3)
  })
})
