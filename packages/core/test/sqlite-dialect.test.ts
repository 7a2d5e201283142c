import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AdminSession } from '../src/catalog/dialect.js'
import { templateLock, withLockIfFree, type AdvisoryLock } from '../src/catalog/locks.js'
import { makeMarker, parseMarker } from '../src/catalog/marker.js'
import { sqliteDialect, sqlitePath } from '../src/catalog/sqlite/index.js'
import { requireSqlite } from '../src/catalog/sqlite/driver.js'
import { sqliteAdminUrl, sqliteDatabaseUrl } from '../src/catalog/sqlite/url.js'
import { isWorkerDbError } from '../src/errors.js'

const require = createRequire(import.meta.url)
const isRoot = process.getuid?.() === 0
let root: string
let n = 0
/** A fresh directory (a fresh "server") per test. */
const newDir = () => join(root, `s${++n}`)
const lockOf = (tag: string): AdvisoryLock => templateLock(tag.padEnd(64, '0'))

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'workerdb-sqlite-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

// Every session a test opens is closed, even when it fails; every child process is killed.
const sessions: AdminSession[] = []
const children = new Set<ChildProcess>()
const killAll = () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL') }
process.on('exit', killAll)
afterEach(async () => {
  killAll()
  children.clear()
  await Promise.all(sessions.splice(0).map((s) => s.close()))
})
async function connect(url: string): Promise<AdminSession> {
  const s = await sqliteDialect.connect(url)
  sessions.push(s)
  return s
}

/** Resolves with the promise's outcome, or 'pending' if it has none after `ms`. */
function within<T>(p: Promise<T>, ms = 150): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))])
}

async function rejection(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p
  } catch (err) {
    return err as { code?: string; message: string }
  }
  throw new Error('expected a rejection')
}

/** A node child running `script` (ESM) with `env`; resolves once its stdout has said `ready`. */
async function child(script: string, env: Record<string, string>, ready = 'ready'): Promise<{ proc: ChildProcess; out: () => string }> {
  const proc = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(proc)
  let out = ''
  let err = ''
  proc.stdout!.on('data', (d) => { out += d })
  proc.stderr!.on('data', (d) => { err += d })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child not ready after 20 s: ${out} ${err}`)), 20_000)
    proc.stdout!.on('data', () => { if (out.includes(ready)) { clearTimeout(timer); resolve() } })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`child exited (${code}) before it was ready: ${out} ${err}`)) })
  })
  return { proc, out: () => out }
}

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error('timed out waiting')
  }
}

async function kill9(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise((r) => proc.once('exit', r))
  proc.kill('SIGKILL')
  await exited
}

/** A child holding a lock through the real dialect (TypeScript via jiti); it exits when our end of its stdin closes. */
const LOCK_CHILD = `
const { createJiti } = await import(process.env.JITI)
const { sqliteDialect } = await createJiti(import.meta.url).import(process.env.DIALECT)
const s = await sqliteDialect.connect(process.env.URL)
const l = JSON.parse(process.env.LOCK)
process.stdin.on('end', () => process.exit(0)).resume()
if (process.env.MODE === 'hammer') {
  // Tries to take the lock exclusively, over and over, until told to stop: says GOT if it ever does.
  console.log('ready')
  let stop = false, tries = 0
  process.stdin.on('data', () => { stop = true })
  while (!stop) {
    tries++
    if (await s.tryLock(l)) { console.log('GOT'); await s.unlock(l) }
    await new Promise((r) => setImmediate(r))
  }
  console.log('tries ' + tries)
  process.exit(0)
}
console.log('locking')
await s.lock(l, process.env.MODE)
console.log('ready')
// Once this module has run nothing refers to the session: a collection must not take its lock (lock.ts).
setTimeout(() => globalThis.gc(), 20)
setInterval(() => {}, 1 << 30)
`
const lockChildEnv = (url: string, l: AdvisoryLock, mode: string) => ({
  JITI: pathToFileURL(require.resolve('jiti')).href.replace(/jiti\.cjs$/, 'jiti.mjs'),
  DIALECT: pathToFileURL(join(import.meta.dirname, '../src/catalog/sqlite/index.ts')).href,
  URL: url, LOCK: JSON.stringify(l), MODE: mode,
})

const marker = (kind: 'template' | 'clone', extra = {}) => makeMarker({ kind, run: 'abcd1234', ...extra })

describe('SQLite URLs (pure)', () => {
  it('reads every accepted form as the absolute directory, and gives one normal form back', () => {
    const cwd = process.cwd()
    const forms: Array<[string, string]> = [
      ['file:///abs/dir', '/abs/dir'],
      ['file:///abs/dir/', '/abs/dir'],
      ['file://localhost/abs/dir', '/abs/dir'],
      ['file:/abs/dir', '/abs/dir'],
      ['file:./rel/dir', join(cwd, 'rel/dir')],
      ['file:rel', join(cwd, 'rel')],
      ['sqlite:///abs/dir', '/abs/dir'],
      ['sqlite:/abs/dir', '/abs/dir'],
      ['sqlite:./rel/dir', join(cwd, 'rel/dir')],
      ['sqlite:rel', join(cwd, 'rel')],
      ['file:///abs/with%20space', '/abs/with space'],
    ]
    for (const [url, path] of forms) {
      expect(sqlitePath(url), url).toBe(path)
      const admin = sqliteDialect.adminUrl(url)
      expect(admin, url).toBe(pathToFileURL(path).href + '/')
      // Idempotent: the admin URL of an admin URL is itself.
      expect(sqliteDialect.adminUrl(admin)).toBe(admin)
    }
    expect(sqliteAdminUrl('file:/abs/dir')).toBe('file:///abs/dir/')
  })

  it('puts database <name> in <dir>/<name>.db, and sqlitePath gives that file', () => {
    for (const admin of ['file:///abs/dir/', 'file:///abs/dir', 'file:/abs/dir', 'sqlite:/abs/dir']) {
      expect(sqliteDialect.databaseUrl(admin, 'wdb_ab12cd34_1')).toBe('file:///abs/dir/wdb_ab12cd34_1.db')
    }
    expect(sqlitePath(sqliteDatabaseUrl('file:./x', 'wdb_tpl_0123'))).toBe(join(process.cwd(), 'x', 'wdb_tpl_0123.db'))
    expect(sqlitePath(sqliteDatabaseUrl('file:///a b/', 'n'))).toBe('/a b/n.db')
  })

  it('refuses URLs that name a host, another scheme, or a name that is not a file name', () => {
    for (const bad of ['file://server/share/dir', 'postgresql://x/y', 'file:', 'file:%zz']) {
      expect(() => sqlitePath(bad), bad).toThrow(expect.objectContaining({ code: 'E_CONFIG' }))
    }
    expect(() => sqliteDatabaseUrl('file:/d', '../escape')).toThrow(expect.objectContaining({ code: 'E_CONFIG' }))
  })

  it('says how to drop one by hand', () => {
    expect(sqliteDialect.dropByHand('wdb_tpl_x')).toContain('wdb_tpl_x.db*')
    expect(sqliteDialect.name).toBe('sqlite')
    expect(sqliteDialect.label).toBe('SQLite')
  })
})

describe('SQLite sessions', () => {
  it('connects to a new directory (made 0700) and reports its facts', async () => {
    const dir = join(newDir(), 'nested')
    const s = await connect(`file:${dir}`)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const f = await s.facts()
    expect(f.product).toMatch(/^SQLite 3\.\d+\.\d+$/)
    expect(f).toMatchObject({ major: 3, durable: false, canCreate: true })
    expect(f.connections).toBeUndefined()
    expect(f.user).toBeTruthy()
    expect(await s.sessions('wdb')).toEqual(new Map())
  })

  it('refuses a directory it cannot use with E_SERVER_UNREACHABLE, naming the path', async () => {
    const file = join(newDir() + '-file')
    writeFileSync(file, 'not a directory')
    for (const dir of [join(file, 'sub'), file]) {
      const err = await rejection(sqliteDialect.connect(`file:${dir}`))
      expect(isWorkerDbError(err) && err.code).toBe('E_SERVER_UNREACHABLE')
      expect(err.message).toContain(dir)
    }
  })

  it('refuses a directory it cannot make or write to, naming it (a path under a file: nobody can, root included)', async () => {
    const file = join(newDir(), 'a-file')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, 'not a directory')
    const dir = join(file, 'dbs')
    const err = await rejection(sqliteDialect.connect(`file:${dir}`))
    expect(err.code).toBe('E_SERVER_UNREACHABLE')
    expect(err.message).toContain(dir)
  })

  it('without better-sqlite3 installed: E_CONFIG saying how to install it', () => {
    const nowhere = mkdtempSync(join(tmpdir(), 'workerdb-nodeps-'))
    try {
      expect(() => requireSqlite([join(nowhere, 'x.js')])).toThrow(expect.objectContaining({ code: 'E_CONFIG', hint: 'npm install -D better-sqlite3' }))
    } finally {
      rmSync(nowhere, { recursive: true, force: true })
    }
  })
})

describe('SQLite catalog: files and sidecar markers', () => {
  it('creates an empty database with its marker beside it, and lists it back', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    const m = marker('clone')
    await s.create('wdb_abcd1234_1', m)
    expect(readdirSync(dir).sort()).toEqual(['wdb_abcd1234_1.db', 'wdb_abcd1234_1.db.workerdb.json'])
    const db = new Database(join(dir, 'wdb_abcd1234_1.db'), { fileMustExist: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete')
    db.close()
    const rows = await s.list('wdb')
    expect(rows).toEqual([{ name: 'wdb_abcd1234_1', isTemplate: false, comment: JSON.stringify(m) }])
    expect(parseMarker(rows[0]!.comment)).toEqual(m)
    // Made once: a second create of the name fails, and leaves the first alone.
    await expect(s.create('wdb_abcd1234_1', marker('clone', { run: 'zzzz9999' }))).rejects.toThrow()
    expect(parseMarker((await s.list('wdb'))[0]!.comment)?.run).toBe('abcd1234')
  })

  it('lists look-alikes as not ours, dangling sidecars as ours, and nothing else', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    writeFileSync(join(dir, 'wdb_users.db'), '')                                   // someone's own database: no sidecar
    writeFileSync(join(dir, 'wdb_gone_1.db.workerdb.json'), JSON.stringify(marker('clone'))) // a crash between sidecar and file
    writeFileSync(join(dir, 'other_x.db'), '')                                     // another prefix
    writeFileSync(join(dir, 'wdbx.db'), '')                                        // no underscore
    writeFileSync(join(dir, 'wdb_users.db-journal'), '')                           // companions are not databases
    writeFileSync(join(dir, '.wdb_a_1.db.123.abcd.tmp'), '')                        // a half copy
    await s.lock(lockOf('a'), 'shared')                                            // the lock directory
    const rows = await s.list('wdb')
    expect(rows.map((r) => r.name)).toEqual(['wdb_gone_1', 'wdb_users'])
    expect(rows.find((r) => r.name === 'wdb_users')).toEqual({ name: 'wdb_users', isTemplate: false, comment: null })
    expect(parseMarker(rows.find((r) => r.name === 'wdb_gone_1')!.comment)?.kind).toBe('clone')
    // …and a sweep of the dangling sidecar removes it.
    await s.drop('wdb_gone_1')
    expect(existsSync(join(dir, 'wdb_gone_1.db.workerdb.json'))).toBe(false)
  })

  it('re-marks atomically, and only a database that exists', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    const m = marker('template', { state: 'building', hash: 'f'.repeat(64) })
    await s.create('wdb_tpl_ffff', m)
    await s.mark('wdb_tpl_ffff', { ...m, state: 'ready' })
    expect(parseMarker((await s.list('wdb'))[0]!.comment)?.state).toBe('ready')
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    await expect(s.mark('wdb_nope_1', m)).rejects.toThrow()
    expect(existsSync(join(dir, 'wdb_nope_1.db.workerdb.json'))).toBe(false)
  })

  it('reports a database file\'s size', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_abcd1234_2', marker('clone'))
    writeFileSync(join(dir, 'wdb_abcd1234_2.db'), Buffer.alloc(8192))
    expect(await s.size('wdb_abcd1234_2')).toBe(8192)
  })

  it('drops every file of a database, the sidecar last, and does not mind one already gone', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_abcd1234_3', marker('clone'))
    for (const f of ['-wal', '-shm', '-journal']) writeFileSync(join(dir, `wdb_abcd1234_3.db${f}`), 'x')
    writeFileSync(join(dir, '.wdb_abcd1234_3.db.1.dead.tmp'), 'x')       // a copy killed half way
    writeFileSync(join(dir, 'wdb_abcd1234_30.db'), 'x')                  // another database that only starts alike
    await s.drop('wdb_abcd1234_3')
    expect(readdirSync(dir).filter((f) => !f.startsWith('.workerdb'))).toEqual(['wdb_abcd1234_30.db'])
    await s.drop('wdb_abcd1234_3')
    await s.drop('wdb_abcd1234_3', { template: true })

    // A drop that fails half way keeps the marker, so the database is still known to be ours.
    await s.create('wdb_abcd1234_4', marker('clone'))
    rmSync(join(dir, 'wdb_abcd1234_4.db'))
    mkdirSync(join(dir, 'wdb_abcd1234_4.db'))                             // cannot be removed as a file
    writeFileSync(join(dir, 'wdb_abcd1234_4.db', 'x'), 'x')
    await expect(s.drop('wdb_abcd1234_4')).rejects.toThrow()
    expect(existsSync(join(dir, 'wdb_abcd1234_4.db.workerdb.json'))).toBe(true)
  })
})

describe('SQLite templates and copies', () => {
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

  /** Builds the template's schema in WAL mode in a child that is then killed: the data is only in the -wal file. */
  async function buildInWalAndDie(file: string): Promise<void> {
    const script = `
      const Database = (await import('node:module')).createRequire(process.env.FROM)('better-sqlite3')
      const db = new Database(process.env.FILE)
      db.pragma('journal_mode = WAL')
      db.pragma('wal_autocheckpoint = 0')
      db.exec(\`create table item (id integer primary key, name text not null, n integer);
        create index item_name on item (name);
        create table audit (item_id integer, what text);
        create trigger item_audit after insert on item begin insert into audit values (new.id, 'insert'); end;\`)
      const ins = db.prepare('insert into item (name, n) values (?, ?)')
      db.transaction(() => { for (let i = 1; i <= 500; i++) ins.run('item ' + i, i * i) })()
      console.log('ready')
      setInterval(() => {}, 1 << 30)`
    const { proc } = await child(script, { FROM: import.meta.filename, FILE: file })
    await kill9(proc)
  }

  it('seals a template built in WAL mode into one read-only file, and copies it into writable clones with the same rows and trigger', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    const tpl = 'wdb_tpl_0123456789abcdef'
    const m = marker('template', { state: 'building', hash: '0123456789abcdef'.padEnd(64, '0') })
    await s.create(tpl, m)
    const file = join(dir, `${tpl}.db`)
    await buildInWalAndDie(file)
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0)

    await s.seal(tpl)
    await s.mark(tpl, { ...m, state: 'ready' })
    expect(readdirSync(dir).filter((f) => f.startsWith(tpl)).sort()).toEqual([`${tpl}.db`, `${tpl}.db.workerdb.json`])
    expect(statSync(file).mode & 0o777).toBe(0o444)
    expect((await s.list('wdb')).find((r) => r.name === tpl)?.isTemplate).toBe(true)
    const before = sha(file)

    const plan = await s.copyPlan(tpl, 'auto')
    expect(['file copy', 'reflink']).toContain(plan.label)
    const clones = ['wdb_abcd1234_1', 'wdb_abcd1234_2', 'wdb_abcd1234_3']
    await Promise.all(clones.map((c) => s.copy(tpl, c, plan)))
    for (const c of clones) {
      const cf = join(dir, `${c}.db`)
      expect(statSync(cf).mode & 0o777).toBe(0o644)
      const db = new Database(cf, { fileMustExist: true })
      try {
        expect(db.pragma('journal_mode', { simple: true })).toBe('delete')
        expect(db.prepare('select count(*) as n, sum(n) as s from item').get()).toEqual({ n: 500, s: (500 * 501 * 1001) / 6 })
        expect(db.prepare("select name from sqlite_schema where type in ('index', 'trigger') order by name").pluck().all()).toEqual(['item_audit', 'item_name'])
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
        // Writable, and the trigger fires.
        db.prepare('insert into item (name, n) values (?, ?)').run(`only in ${c}`, 0)
        expect(db.prepare('select count(*) from audit').pluck().get()).toBe(501)
      } finally {
        db.close()
      }
    }
    // Copies are unmarked until the caller marks them: not ours yet.
    expect((await s.list('wdb')).filter((r) => clones.includes(r.name)).map((r) => r.comment)).toEqual([null, null, null])

    // The template is untouched by the clones' writes, and stays read-only.
    expect(sha(file)).toBe(before)
    expect(statSync(file).mode & 0o777).toBe(0o444)
    if (!isRoot) {
      const db = new Database(file, { fileMustExist: true })
      expect(() => db.exec("insert into item (name) values ('x')")).toThrow(/readonly/i)
      db.close()
    }
  })

  it('refuses to seal while a connection still has the template open in WAL mode, and keeps its WAL', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_tpl_busy', marker('template', { state: 'building' }))
    const file = join(dir, 'wdb_tpl_busy.db')
    const straggler = new Database(file)
    try {
      straggler.pragma('journal_mode = WAL')
      straggler.exec('create table t (x); insert into t values (1)')
      const err = await rejection(s.seal('wdb_tpl_busy'))
      expect(err.code).toBe('E_MIGRATION')
      expect(existsSync(`${file}-wal`)).toBe(true)
      expect(statSync(file).mode & 0o222).not.toBe(0)
    } finally {
      straggler.close()
    }
  })

  it('copying a template that is missing fails with E_CLONE and leaves no file under the clone\'s name', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    const plan = await s.copyPlan('wdb_tpl_missing')
    const err = await rejection(s.copy('wdb_tpl_missing', 'wdb_abcd1234_1', plan))
    expect(isWorkerDbError(err) && err.code).toBe('E_CLONE')
    expect((err as { hint?: string }).hint).toMatch(/gone/)
    expect(readdirSync(dir).filter((f) => f.includes('wdb_abcd1234_1'))).toEqual([])
  })

  it('a copy killed half way leaves no file under the clone\'s name, and drop() removes what it left', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_tpl_big', marker('template'))
    writeFileSync(join(dir, 'wdb_tpl_big.db'), Buffer.alloc(256 * 1024 * 1024, 7)) // not a database: copy() does not look
    chmodSync(join(dir, 'wdb_tpl_big.db'), 0o444)
    const script = `
      const { createJiti } = await import(process.env.JITI)
      const { sqliteDialect } = await createJiti(import.meta.url).import(process.env.DIALECT)
      const s = await sqliteDialect.connect(process.env.URL)
      console.log('ready')
      await s.copy('wdb_tpl_big', 'wdb_abcd1234_9', { label: 'file copy' })
      console.log('copied')
      setInterval(() => {}, 1 << 30)`
    const { proc, out } = await child(script, lockChildEnv(`file:${dir}`, lockOf('8'), ''))
    // Kill it the moment any file of the clone shows up (a busy loop: the copy takes a few hundred ms).
    const deadline = Date.now() + 10_000
    let seen: string[] = []
    while (Date.now() < deadline && seen.length === 0) seen = readdirSync(dir).filter((f) => f.includes('wdb_abcd1234_9'))
    await kill9(proc)
    expect(out()).not.toContain('copied')
    expect(seen.length).toBeGreaterThan(0)
    expect(existsSync(join(dir, 'wdb_abcd1234_9.db'))).toBe(false)
    await s.drop('wdb_abcd1234_9')
    expect(readdirSync(dir).filter((f) => f.includes('wdb_abcd1234_9'))).toEqual([])
    await s.drop('wdb_tpl_big')
  })

  it('never copies over a database that is already there', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_tpl_a', marker('template'))
    await s.seal('wdb_tpl_a')
    writeFileSync(join(dir, 'wdb_users_1.db'), 'someone else\'s')
    const err = await rejection(s.copy('wdb_tpl_a', 'wdb_users_1', await s.copyPlan('wdb_tpl_a')))
    expect(err.code).toBe('E_CLONE')
    expect(readFileSync(join(dir, 'wdb_users_1.db'), 'utf8')).toBe('someone else\'s')
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('runs migration scripts on a database, each all or nothing, or as written when it manages transactions itself', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_tpl_sql', marker('template', { state: 'building' }))
    const url = sqliteDialect.databaseUrl(sqliteDialect.adminUrl(`file:${dir}`), 'wdb_tpl_sql')
    const scripts = await sqliteDialect.openScripts(url)
    try {
      await scripts.run(`create table a (id integer primary key, v text);
        create table log (v text);
        create trigger a_log after insert on a begin insert into log values (new.v); end;
        insert into a (v) values ('one');`)
      await expect(scripts.run("insert into a (v) values ('two'); insert into nope values (1);")).rejects.toThrow(/nope/)
      // SQLite's table-rebuild recipe: foreign keys off (outside any transaction), then its own transaction.
      await scripts.run(`PRAGMA foreign_keys = OFF;
        BEGIN TRANSACTION;
        create table a_new (id integer primary key, v text not null);
        insert into a_new select * from a;
        drop table a;
        alter table a_new rename to a;
        COMMIT;
        PRAGMA foreign_keys = ON;`)
    } finally {
      await scripts.close()
    }
    const db = new Database(join(dir, 'wdb_tpl_sql.db'), { fileMustExist: true })
    expect(db.prepare('select v from a').pluck().all()).toEqual(['one'])
    expect(db.prepare('select v from log').pluck().all()).toEqual(['one'])
    db.close()
  })

  it('drops a sealed template when asked (the caller\'s exclusive lock is the only guard)', async () => {
    const dir = newDir()
    const s = await connect(`file:${dir}`)
    await s.create('wdb_tpl_b', marker('template'))
    await s.seal('wdb_tpl_b')
    expect(await s.dropTemplateIfIdle('wdb_tpl_b')).toBe(true)
    expect(readdirSync(dir).filter((f) => f.startsWith('wdb_'))).toEqual([])
  })
})

describe('SQLite locks', () => {
  it('lets shared holders in together and keeps the exclusive one out until the last lets go', async () => {
    const url = `file:${newDir()}`
    const [a, b, c] = [await connect(url), await connect(url), await connect(url)]
    const l = lockOf('1')
    await a.lock(l, 'shared')
    await b.lock(l, 'shared')
    expect(await withLockIfFree(c, l, async () => 'ran')).toBeUndefined()
    const waiting = c.lock(l, 'exclusive')
    expect(await within(waiting)).toBe('pending')
    await a.unlock(l, 'shared')
    expect(await within(waiting)).toBe('pending')
    await b.unlock(l, 'shared')
    expect(await within(waiting, 1000)).toBeUndefined()
    // Exclusive: no one else in either mode.
    expect(await a.tryLock(l)).toBe(false)
    const reader = a.lock(l, 'shared')
    expect(await within(reader)).toBe('pending')
    await c.unlock(l)
    expect(await within(reader, 1000)).toBeUndefined()
    await a.unlock(l, 'shared')
    expect(await c.tryLock(l)).toBe(true)
    // Other locks are other files: never in each other's way.
    expect(await a.tryLock(lockOf('2'))).toBe(true)
  })

  it('counts: a lock taken twice is held until it is let go twice', async () => {
    const url = `file:${newDir()}`
    const [a, b] = [await connect(url), await connect(url)]
    const l = lockOf('3')
    await a.lock(l, 'shared')
    await a.lock(l, 'shared')
    await a.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(false)
    await a.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(true)
    // Unlocking what is not held does nothing, and never throws.
    await b.unlock(l, 'shared')
    await a.unlock(l)
    expect(await a.tryLock(l)).toBe(false)
  })

  it('holds both modes in one session: shared taken under exclusive outlives it (ensureTemplate), and shared upgrades', async () => {
    const url = `file:${newDir()}`
    const [a, b] = [await connect(url), await connect(url)]
    const l = lockOf('4')
    await a.lock(l, 'exclusive')
    await a.lock(l, 'shared')
    await a.unlock(l, 'exclusive')
    expect(await b.tryLock(l)).toBe(false)
    await b.lock(l, 'shared')            // shared with shared: fine
    await b.unlock(l, 'shared')
    // Upgrade while holding shared: nobody else holds it, so it is granted.
    expect(await within(a.lock(l, 'exclusive'), 1000)).toBeUndefined()
    expect(await within(b.lock(l, 'shared'))).toBe('pending')
    await a.unlock(l, 'exclusive')       // back to shared, which lets b's waiting shared lock in
    await a.unlock(l, 'shared')
    await b.unlock(l, 'shared')
    expect(await b.tryLock(l)).toBe(true)
  })

  it('lets go of everything when the session closes, and fails a wait in progress', async () => {
    const url = `file:${newDir()}`
    const [a, b] = [await connect(url), await connect(url)]
    const l = lockOf('5')
    await a.lock(l, 'exclusive')
    const waiting = b.lock(l, 'shared')
    await b.close()
    await expect(waiting).rejects.toThrow(/closed/)
    await a.close()
    const c = await connect(url)
    expect(await c.tryLock(l)).toBe(true)
    await a.unlock(l) // never throws, closed or not
  })

  it('works across processes, and a killed process lets go of its lock', async () => {
    const url = sqliteAdminUrl(`file:${newDir()}`)
    const l = lockOf('6')
    const s = await connect(url)
    const shared = await child(LOCK_CHILD, lockChildEnv(url, l, 'shared'))
    expect(await s.tryLock(l)).toBe(false)
    await s.lock(l, 'shared')            // shared with a shared holder elsewhere: fine
    await s.unlock(l, 'shared')
    const waiting = s.lock(l, 'exclusive')
    expect(await within(waiting, 300)).toBe('pending')
    await kill9(shared.proc)
    expect(await within(waiting, 1000)).toBeUndefined()

    // And the other way round: our exclusive lock keeps the child waiting…
    const held = await child(LOCK_CHILD, lockChildEnv(url, l, 'exclusive'), 'locking')
    await new Promise((r) => setTimeout(r, 300))
    expect(held.out()).not.toContain('ready')
    await s.unlock(l)
    await waitFor(() => held.out().includes('ready'))
    // …and its exclusive lock keeps us out until it is killed.
    expect(await s.tryLock(l)).toBe(false)
    const reader = s.lock(l, 'shared')
    expect(await within(reader, 300)).toBe('pending')
    await kill9(held.proc)
    expect(await within(reader, 1000)).toBeUndefined()
  })

  it('never lets another process in while a session steps between shared and exclusive', async () => {
    const url = sqliteAdminUrl(`file:${newDir()}`)
    const l = lockOf('7')
    const s = await connect(url)
    await s.lock(l, 'shared')
    const hammer = await child(LOCK_CHILD, lockChildEnv(url, l, 'hammer'))
    const until = Date.now() + 1500
    let steps = 0
    while (Date.now() < until && !hammer.out().includes('GOT')) {
      await s.lock(l, 'exclusive')
      await s.unlock(l, 'exclusive')
      steps++
    }
    hammer.proc.stdin!.write('stop\n')
    await new Promise((r) => hammer.proc.once('exit', r))
    expect(hammer.out()).toMatch(/tries \d+/)
    expect(hammer.out()).not.toContain('GOT')
    expect(steps).toBeGreaterThan(5)
    await s.unlock(l, 'shared')
  })
})
