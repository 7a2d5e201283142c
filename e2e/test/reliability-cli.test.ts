/**
 * `workerdb provision` for a runner without a hook: Node's own test runner. The real CLI (packages/core
 * dist) provisions 3 clones and prints the manifest; `node --test --test-concurrency=3` runs 6 files, each
 * in its own process, each taking a clone with claimWorkerDatabase(); a `workerdb sweep` in between must
 * leave the clones alone (no process owns them, but they are young); `workerdb teardown <run>` drops
 * exactly that run's clones and its manifest, and keeps the template.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { databasesWithPrefix, dropPrefix, serverUrl, uniquePrefix } from '../support/harness.js'
import { databaseLeaks } from '../support/chaos.js'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI = join(REPO, 'packages', 'core', 'dist', 'cli.js')
const WORKER = join(REPO, 'packages', 'core', 'dist', 'worker.cjs')
const PG = createRequire(import.meta.url).resolve('pg')

const prefix = uniquePrefix('cli')
const dir = mkdtempSync(join(tmpdir(), 'workerdb-node-test-'))
const live = new Set<number>()

afterAll(async () => {
  for (const pid of live) try { process.kill(-pid, 'SIGKILL') } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true })
  await dropPrefix(prefix)
})

interface Ran { code: number | null; stdout: string; stderr: string }

/** A child process in its own group, killed if the test gives up on it. */
function exec(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<Ran> {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VITEST|JEST_|WORKERDB_|PG|NODE_TEST)/.test(k) || ['TEST', 'NODE_ENV', 'DATABASE_URL', 'NODE_OPTIONS'].includes(k)) continue
    base[k] = v
  }
  base.WORKERDB_URL = serverUrl()
  base.NO_COLOR = '1'
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k]
    else base[k] = v
  }
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { cwd: dir, env: base, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    live.add(child.pid!)
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ } }, timeoutMs)
    child.once('error', rej)
    child.once('close', (code) => {
      clearTimeout(timer)
      try { process.kill(-child.pid!, 'SIGKILL') } catch { /* gone */ }
      live.delete(child.pid!)
      res({ code, stdout, stderr })
    })
  })
}

const describeRan = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`

function testFile(name: string, results: string): string {
  return `const { test } = require('node:test')
const assert = require('node:assert')
const { appendFileSync } = require('node:fs')
const pg = require(${JSON.stringify(PG)})
const { claimWorkerDatabase } = require(${JSON.stringify(WORKER)})

// Before any test: this process takes a clone no other running process holds.
const wdb = claimWorkerDatabase()

test(${JSON.stringify(name)}, async () => {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await c.connect()
  try {
    const start = Date.now()
    const { rows: [{ db }] } = await c.query('select current_database() as db')
    const { rows: [{ locked }] } = await c.query('select pg_try_advisory_lock(4242) as locked')
    const { rows: seed } = await c.query('select id from cli_seed order by id')
    await new Promise((r) => setTimeout(r, 300))
    if (locked) await c.query('select pg_advisory_unlock(4242)')
    appendFileSync(${JSON.stringify(results)}, JSON.stringify({ file: ${JSON.stringify(name)}, pid: process.pid, db, slot: wdb.workerId, runId: wdb.runId, wdb: wdb.database, locked, start, end: Date.now() }) + '\\n')
    assert.strictEqual(db, wdb.database)
    assert.ok(locked, 'another process held this database')
    assert.deepStrictEqual(seed, [{ id: 1 }])
  } finally {
    await c.end()
  }
})
`
}

describe('workerdb provision / teardown with node --test', () => {
  test('3 clones, 6 files at concurrency 3: every file on a clone of its own at any moment; teardown drops them', async () => {
    mkdirSync(join(dir, 'migrations'))
    writeFileSync(join(dir, 'migrations', '001_seed.sql'), 'create table cli_seed (id int primary key);\ninsert into cli_seed values (1);\n')
    writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ prefix, migrate: { sql: './migrations' } }))
    const results = join(dir, 'results.jsonl')
    writeFileSync(results, '')
    const files = Array.from({ length: 6 }, (_, i) => `file${i + 1}.test.cjs`)
    for (const f of files) writeFileSync(join(dir, f), testFile(f, results))

    // provision --json: machine-readable, and no password on stdout.
    const p = await exec([CLI, 'provision', '--workers', '3', '--json'])
    expect(p.code, describeRan(p)).toBe(0)
    const out = JSON.parse(p.stdout)
    expect(out.clones.map((c: { slot: number }) => c.slot)).toEqual([1, 2, 3])
    expect(out.teardown).toBe(`npx workerdb teardown ${out.runId}`)
    expect(existsSync(out.manifest)).toBe(true)
    expect(p.stderr, describeRan(p)).toMatch(/template \w+: built in \d+ ms \(1 migration\)/)
    const clones: string[] = out.clones.map((c: { database: string }) => c.database)

    // A sweep now (as any other run's would) keeps them: no live process owns them, but they are young.
    const s = await exec([CLI, 'sweep', '--json'])
    expect(s.code, describeRan(s)).toBe(0)
    expect((await databasesWithPrefix(prefix)).filter((d) => clones.includes(d)).sort()).toEqual([...clones].sort())

    // Node's test runner: each file in its own process, 3 at a time.
    const t = await exec(['--test', '--test-concurrency=3', ...files], { WORKERDB_MANIFEST: out.manifest })
    expect(t.code, describeRan(t)).toBe(0)
    const lines = readFileSync(results, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    expect(lines.map((l) => l.file).sort(), describeRan(t)).toEqual([...files].sort())
    for (const l of lines) {
      expect(clones, JSON.stringify(l)).toContain(l.db)
      expect(l.db).toBe(l.wdb)
      expect(l.db).toBe(`${prefix}_${out.runId}_${l.slot}`)
      expect(l.locked, JSON.stringify(l)).toBe(true)
    }
    expect(new Set(lines.map((l) => l.pid)).size).toBe(6)
    // No two files on one database at the same time.
    const sorted = [...lines].sort((a, b) => a.start - b.start)
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        if (sorted[i].db === sorted[j].db) expect(sorted[j].start >= sorted[i].end, `${sorted[i].file} and ${sorted[j].file} overlapped on ${sorted[i].db}`).toBe(true)
      }
    }
    // Claims end with their processes.
    expect(readdirSync(dirname(out.manifest)).filter((n) => n.startsWith(`${out.runId}.json.slot-`))).toEqual([])

    // teardown: exactly this run's clones, and its manifest; the template stays.
    const d = await exec([CLI, 'teardown', out.runId, '--json'])
    expect(d.code, describeRan(d)).toBe(0)
    expect(JSON.parse(d.stdout)).toEqual({ runId: out.runId, dropped: [...clones].sort(), roles: [], manifestRemoved: true })
    expect(existsSync(out.manifest)).toBe(false)
    expect(await databaseLeaks(prefix)).toEqual([])
    expect((await databasesWithPrefix(prefix)).filter((n) => n.includes('_tpl_')).length).toBe(1)

    // Text mode: shell lines to eval, and the command that undoes it; a second teardown has nothing to do.
    const p2 = await exec([CLI, 'provision', '--workers', '1'])
    expect(p2.code, describeRan(p2)).toBe(0)
    expect(p2.stderr).toMatch(/template \w+: reused/)
    const run2 = /npx workerdb teardown (\w+)/.exec(p2.stdout)?.[1]
    expect(run2, p2.stdout).toBeDefined()
    expect(p2.stdout).toMatch(/^export WORKERDB_MANIFEST=\S+\.json$/m)
    for (const l of p2.stdout.split('\n').filter(Boolean)) expect(l, 'every other line is a shell comment').toMatch(/^(#|export WORKERDB_MANIFEST=)/)
    expect((await exec([CLI, 'teardown', run2!])).stdout).toMatch(/dropped 1 clone of run/)
    const again = await exec([CLI, 'teardown', run2!])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/has no clones/)
    expect(await databaseLeaks(prefix)).toEqual([])
  })

  test('bad arguments are refused with the fix, before anything touches the server', async () => {
    for (const [args, pattern] of [
      [['provision'], /--workers must be a whole number/],
      [['provision', '--workers', '0'], /--workers must be a whole number/],
      [['provision', '--workers', 'lots'], /--workers must be a whole number/],
      [['teardown'], /teardown needs the run id/],
      [['teardown', 'x; drop database postgres'], /teardown needs the run id/],
    ] as const) {
      const r = await exec([CLI, ...args])
      expect(r.code, describeRan(r)).toBe(1)
      expect(r.stdout, describeRan(r)).toMatch(pattern)
    }
    // The embedded server cannot outlive the command: provision says so instead of starting one.
    const e = await exec([CLI, 'provision', '--workers', '2'], { WORKERDB_URL: undefined })
    expect(e.code).toBe(1)
    expect(e.stdout).toMatch(/needs a server that outlives this command/)
  })
})
