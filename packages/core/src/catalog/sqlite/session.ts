/**
 * The SQLite admin session: a directory of database files. What PostgreSQL keeps in its catalog lives in
 * the file system here:
 * - database `n` is `<dir>/n.db`; its marker is the sidecar `<dir>/n.db.workerdb.json` (never a table in
 *   the user's database). create() writes the sidecar before the file and drop() removes it last, so a
 *   crash in between leaves a marked name and never an unmarked file of ours. list() lists a sidecar whose
 *   `.db` is gone as a database too, so that the sweep removes it by the same rules; a `.db` without a
 *   sidecar lists with comment null: not ours, never touched;
 * - sealed (isTemplate) = the `.db` file has no write permission bits (seal() makes it 0444, after moving
 *   everything into the one file). Whether it is a *ready* template is the marker's business, as on PostgreSQL.
 *   Root ignores file modes, so for root the seal is a marker, not a guard;
 * - half-done files (a copy in progress, a sidecar being replaced) carry a hidden name, `.n.db.<pid>.<rand>.tmp`,
 *   and only get their final name by an atomic link or rename; drop(n) removes them too.
 * SQLite cannot see other processes' connections: sessions() is empty and dropTemplateIfIdle() relies on the
 * template lock alone.
 */
import { randomBytes } from 'node:crypto'
import { constants as fsc } from 'node:fs'
import { access, chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { AdminSession, CopyPlan, DatabaseRow, ServerFacts } from '../dialect.js'
import type { AdvisoryLock, LockMode } from '../locks.js'
import type { Marker } from '../marker.js'
import { WorkerDbError } from '../../errors.js'
import { isBusy, openDb } from './driver.js'
import { SqliteLocks } from './lock.js'
import { databaseFile } from './url.js'

const SIDECAR = '.workerdb.json'
/** Files SQLite keeps next to a database. */
const COMPANIONS = ['-wal', '-shm', '-journal']
/** How long seal() retries while another connection (a migration tool's) still has the template open. */
const SEAL_WAIT_MS = 2_000

/** Per directory: whether reflinks work there (decided once, by the first copyPlan). */
const reflinks = new Map<string, boolean>()

export class SqliteSession implements AdminSession {
  readonly dialect = 'sqlite' as const
  private readonly locks: SqliteLocks

  constructor(readonly dir: string) {
    this.locks = new SqliteLocks(dir)
  }

  async facts(): Promise<ServerFacts> {
    const db = openDb(':memory:')
    const version = String(db.get('select sqlite_version() as v')!.v)
    db.close()
    return {
      product: `SQLite ${version}`,
      major: Number(version.split('.')[0]),
      user: osUser(),
      durable: false,
      canCreate: await access(this.dir, fsc.W_OK | fsc.X_OK).then(() => true, () => false),
    }
  }

  async list(prefix: string): Promise<DatabaseRow[]> {
    const names = new Set<string>()
    for (const f of await readdir(this.dir)) {
      if (!f.startsWith(`${prefix}_`) || f.includes('\\')) continue
      if (f.endsWith('.db')) names.add(f.slice(0, -3))
      else if (f.endsWith(`.db${SIDECAR}`)) names.add(f.slice(0, -3 - SIDECAR.length))
    }
    const rows = await Promise.all([...names].sort().map(async (name): Promise<DatabaseRow | undefined> => {
      const file = this.file(name)
      const mode = await stat(file).then((s) => s.mode, () => undefined)
      const comment = await readFile(file + SIDECAR, 'utf8').catch(() => null)
      // Both gone since readdir (dropped meanwhile): not a database any more.
      if (mode === undefined && comment === null) return undefined
      return { name, isTemplate: mode !== undefined && (mode & 0o222) === 0, comment }
    }))
    return rows.filter((r) => r !== undefined)
  }

  /** SQLite cannot see other connections: none reported. */
  async sessions(): Promise<Map<string, number>> {
    return new Map()
  }

  /** The database file's size, with its WAL if it has one. */
  async size(name: string): Promise<number> {
    const file = this.file(name)
    return (await stat(file)).size + await stat(`${file}-wal`).then((s) => s.size, () => 0)
  }

  async create(name: string, marker: Marker): Promise<void> {
    const file = this.file(name)
    if (await exists(file)) throw new Error(`SQLite database ${name} already exists (${file})`)
    await placeNew(file + SIDECAR, (tmp) => writeFile(tmp, JSON.stringify(marker)))
    try {
      await writeFile(file, '', { flag: 'wx', mode: 0o644 })
      const db = openDb(file, { mustExist: true })
      try {
        db.exec('pragma journal_mode = DELETE')
      } finally {
        db.close()
      }
    } catch (err) {
      // Not made by us after all (a file of that name appeared): take our marker back off it.
      if ((err as { code?: string }).code === 'EEXIST') await rm(file + SIDECAR, { force: true })
      throw err
    }
  }

  /** Replaces the sidecar atomically (a reader sees the old marker or the new one, never half of one). */
  async mark(name: string, marker: Marker): Promise<void> {
    const file = this.file(name)
    // Like COMMENT ON DATABASE: no marker for a database that is not there (a sweep may have dropped it).
    await stat(file)
    const tmp = tmpName(file + SIDECAR)
    try {
      await writeFile(tmp, JSON.stringify(marker))
      await rename(tmp, file + SIDECAR)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  /**
   * Everything into the one file (a WAL is checkpointed and switched off), the side files gone, the file
   * read-only: a copy of `<name>.db` alone is then the whole database. SQLite cannot end other sessions;
   * a connection still open in WAL mode makes the switch fail, and then seal fails rather than delete a
   * WAL someone still uses.
   */
  async seal(name: string): Promise<void> {
    const file = this.file(name)
    const deadline = Date.now() + SEAL_WAIT_MS
    for (;;) {
      const db = openDb(file, { mustExist: true })
      try {
        db.exec('pragma wal_checkpoint(TRUNCATE)')
        db.exec('pragma journal_mode = DELETE')
        break
      } catch (err) {
        if (!isBusy(err)) throw err
        if (Date.now() > deadline) {
          throw new WorkerDbError('E_MIGRATION', `cannot seal the template ${name}: another connection still has ${file} open`,
            'Make the migration close every connection it opens (SQLite cannot end other sessions), and check that nothing else opens the template.', { cause: err })
        }
      } finally {
        db.close()
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    await Promise.all(COMPANIONS.map((c) => rm(file + c, { force: true })))
    await chmod(file, 0o444)
  }

  /** `reflink` where the file system can share the template's blocks (Btrfs, XFS, APFS…), else `file copy`. */
  async copyPlan(template: string): Promise<CopyPlan> {
    let can = reflinks.get(this.dir)
    if (can === undefined) {
      const probe = tmpName(this.file(template))
      // FICLONE_FORCE fails where reflinks do not work (FICLONE alone falls back to copying, silently).
      const err = await copyFile(this.file(template), probe, fsc.COPYFILE_FICLONE_FORCE).then(() => undefined, (e: { code?: string }) => e)
      await rm(probe, { force: true })
      can = !err
      // No template (yet) says nothing about the file system: ask again next time.
      if (err?.code !== 'ENOENT') reflinks.set(this.dir, can)
    }
    return { label: can ? 'reflink' : 'file copy' }
  }

  /**
   * Copies under a hidden name, makes it writable, then links it into place: no half copy, and no clobbering,
   * under `name`. The marker goes first, as in create: a database file of ours is never unmarked.
   */
  async copy(template: string, name: string, _plan?: CopyPlan, marker?: Marker): Promise<void> {
    const from = this.file(template)
    const to = this.file(name)
    let marked = false
    try {
      if (await exists(`${from}-wal`)) throw Object.assign(new Error(`${from}-wal exists: the template is not sealed`), { code: 'EUNSEALED' })
      if (await exists(to)) throw Object.assign(new Error(`${to} exists`), { code: 'EEXIST' })
      if (marker) {
        await placeNew(to + SIDECAR, (tmp) => writeFile(tmp, JSON.stringify(marker)))
        marked = true
      }
      await placeNew(to, async (tmp) => {
        // FICLONE: a reflink where the file system has them, a plain copy where not.
        await copyFile(from, tmp, fsc.COPYFILE_FICLONE)
        await chmod(tmp, 0o644)
      })
    } catch (err) {
      // Our marker only: a file of that name that appeared meanwhile is not ours.
      if (marked) await rm(to + SIDECAR, { force: true })
      throw copyError(err, template, name, this.dir)
    }
  }

  /** Companions first and the sidecar last: a crash half way leaves a marked name, never an unmarked file of ours. */
  async drop(name: string): Promise<void> {
    const file = this.file(name)
    const hidden = `.${basename(file)}.`
    const leftovers = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.startsWith(hidden) && f.endsWith('.tmp'))
    await rm(file, { force: true })
    await Promise.all([...COMPANIONS.map((c) => rm(file + c, { force: true })), ...leftovers.map((f) => rm(join(this.dir, f), { force: true }))])
    await rm(file + SIDECAR, { force: true })
  }

  /** SQLite cannot tell whether anyone has the template open; the caller's exclusive template lock is the guard. */
  async dropTemplateIfIdle(name: string): Promise<boolean> {
    await this.drop(name)
    return true
  }

  lock(lock: AdvisoryLock, mode?: LockMode): Promise<void> {
    return this.locks.lock(lock, mode)
  }

  tryLock(lock: AdvisoryLock): Promise<boolean> {
    return this.locks.tryLock(lock)
  }

  unlock(lock: AdvisoryLock, mode?: LockMode): Promise<void> {
    return this.locks.unlock(lock, mode)
  }

  async close(): Promise<void> {
    this.locks.close()
  }

  private file(name: string): string {
    return databaseFile(this.dir, name)
  }
}

/** Creates the directory if needed, and checks it is one this user can make files in. */
export async function openDirectory(dir: string, source: string): Promise<SqliteSession> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    await access(dir, fsc.R_OK | fsc.W_OK | fsc.X_OK)
  } catch (err) {
    throw new WorkerDbError('E_SERVER_UNREACHABLE', `cannot use ${dir} (from ${source}) as the SQLite directory: ${(err as Error).message}`,
      `Point the URL at a directory this user can create files in (file:/path/to/dir), or make ${dir} one (mkdir -p, chmod u+rwx).`, { cause: err })
  }
  return new SqliteSession(dir)
}

/** `<dir>/.<file name>.<pid>.<random>.tmp`: hidden, never listed, never taken for a database. */
function tmpName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
}

/** Writes `target` under a hidden name, then links it into place: EEXIST if `target` exists, and never half written. */
async function placeNew(target: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = tmpName(target)
  try {
    await write(tmp)
    try {
      await link(tmp, target)
    } catch (err) {
      // A file system without hard links: check, then rename (which would replace a file made in between).
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((err as { code?: string }).code ?? '')) throw err
      if (await exists(target)) throw Object.assign(new Error(`${target} already exists`), { code: 'EEXIST' })
      await rename(tmp, target)
    }
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

function copyError(err: unknown, template: string, name: string, dir: string): WorkerDbError {
  const code = (err as { code?: string }).code
  const hint = code === 'ENOENT' ? 'The template file is gone (dropped by a sweep, or by hand): run again to rebuild it.'
    : code === 'EEXIST' ? `A file named ${name}.db is already in ${dir}: remove it if it is a leftover, or use another \`prefix\`.`
    : code === 'ENOSPC' ? `The disk holding ${dir} is full.`
    : code === 'EUNSEALED' ? 'Copy only sealed templates (seal() checkpoints the WAL into the file).'
    : `Check that ${dir} is writable and has room.`
  return new WorkerDbError('E_CLONE', `copying SQLite template ${template} to ${name} failed: ${(err as Error).message}`, hint, { cause: err })
}

function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false)
}

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? String(process.getuid?.() ?? '')
  }
}
