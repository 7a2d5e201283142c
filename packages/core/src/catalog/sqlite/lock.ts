/**
 * Advisory locks for SQLite, made of SQLite's own file locks (POSIX fcntl on Unix): they work between
 * connections of one process (SQLite tracks its connections per file) and between processes, and the OS
 * drops them when a process dies, kill -9 included — the same guarantee as PostgreSQL's session locks.
 *
 * The rule. Lock `n` is two empty database files in `<dir>/.workerdb-locks/`, each held through a
 * better-sqlite3 connection of its own that this session opens for it:
 * - `n.lock`: shared = `BEGIN` + a read (the connection keeps SQLite's SHARED lock until the transaction
 *   ends); exclusive = `BEGIN EXCLUSIVE` (no SHARED holder may be left, and none gets in).
 * - `n.gate`: held with `BEGIN EXCLUSIVE` by whoever holds, or is getting, `n` exclusively.
 * Why the gate: a session may hold `n` in both modes (PostgreSQL allows it, and ensureTemplate takes the
 * shared lock before it lets go of the exclusive one). One SQLite connection cannot step down from
 * EXCLUSIVE to SHARED, so stepping down is COMMIT then BEGIN + read; the gate, held across that gap, keeps
 * every other exclusive taker out of it (shared takers may come in, which is harmless). Upgrading works
 * the same way in reverse.
 * The files are never written (an empty file is a valid, empty database, and reading its schema takes the
 * SHARED lock), so they stay in rollback-journal mode (WAL readers would not block a writer) and are
 * never corrupt. Never open them with anything else, and never delete them: closing any other descriptor
 * of the file drops this process's fcntl locks, and a deleted file would let the next taker lock a new one.
 *
 * Waits never block the event loop: connections are opened with busy_timeout 0 and a busy try is repeated
 * every 20 ms. So a lock is not fair: a steady stream of shared holders can keep an exclusive waiter out.
 * Like PostgreSQL's, locks count: taking one twice in a session needs two unlocks.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AdvisoryLock, LockMode } from '../locks.js'
import { isBusy, openDb, type Db } from './driver.js'

export const RETRY_MS = 20

/**
 * Every lock some session holds, whatever becomes of the session object: a connection that is collected
 * is closed, and its lock goes with it. A lock is let go by unlock or close, never by the garbage collector.
 */
const holding = new Set<Held>()

interface Held {
  shared: number
  exclusive: number
  main?: Db
  gate?: Db
}

export class SqliteLocks {
  private readonly held = new Map<string, Held>()
  /** One operation at a time per lock name, in call order (a pg session runs one statement at a time too). */
  private readonly queues = new Map<string, Promise<unknown>>()
  private closed = false

  constructor(private readonly dir: string) {}

  lock(l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
    return this.serial(l.name, async () => { await (mode === 'shared' ? this.takeShared(l.name) : this.takeExclusive(l.name, true)) })
  }

  tryLock(l: AdvisoryLock): Promise<boolean> {
    return this.serial(l.name, () => this.takeExclusive(l.name, false))
  }

  unlock(l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
    return this.serial(l.name, async () => {
      try {
        this.release(l.name, mode)
      } catch {
        // Never throws (the AdminSession contract): a connection that broke has let go of its lock already.
      }
    })
  }

  /** Lets go of everything: closing a connection drops its file locks. Waits in progress fail. */
  close(): void {
    this.closed = true
    for (const h of this.held.values()) {
      h.gate?.close()
      h.main?.close()
      holding.delete(h)
    }
    this.held.clear()
  }

  private async takeShared(name: string): Promise<void> {
    const h = this.entry(name)
    if (h.shared > 0 || h.exclusive > 0) {
      h.shared++
      return
    }
    try {
      h.main ??= this.open(name, 'lock')
      await this.until(() => tryShared(h.main!), true)
      h.shared = 1
    } finally {
      this.tidy(name, h)
    }
  }

  private async takeExclusive(name: string, wait: boolean): Promise<boolean> {
    const h = this.entry(name)
    if (h.exclusive > 0) {
      h.exclusive++
      return true
    }
    try {
      h.gate ??= this.open(name, 'gate')
      if (!(await this.until(() => tryExclusive(h.gate!), wait))) return false
      h.main ??= this.open(name, 'lock')
      // Upgrading: give up our own SHARED lock first (it would block us); the gate keeps other exclusive takers out meanwhile.
      if (h.shared > 0) end(h.main)
      if (await this.until(() => tryExclusive(h.main!), wait)) {
        h.exclusive = 1
        return true
      }
      if (h.shared > 0) await this.until(() => tryShared(h.main!), true)
      return false
    } finally {
      if (h.exclusive === 0) {
        h.gate?.close()
        h.gate = undefined
      }
      this.tidy(name, h)
    }
  }

  private release(name: string, mode: LockMode): void {
    const h = this.held.get(name)
    if (!h || h[mode] === 0) return
    h[mode]--
    if (mode === 'exclusive' && h.exclusive === 0) {
      // Stepping down while the gate is still ours: no one else can take the lock exclusively in between,
      // so taking SHARED again succeeds at once (no await between these, nor anything else to wait for).
      try {
        end(h.main!)
        if (h.shared > 0 && !tryShared(h.main!)) h.shared = 0
      } catch {
        h.shared = 0 // the connection broke: closing it below lets go of whatever it still holds
      }
      h.gate?.close()
      h.gate = undefined
    }
    this.tidy(name, h)
  }

  /** Closes the connections of a lock this session no longer holds in any mode. */
  private tidy(name: string, h: Held): void {
    if (h.shared > 0 || h.exclusive > 0) return
    h.gate?.close()
    h.main?.close()
    holding.delete(h)
    if (this.held.get(name) === h) this.held.delete(name)
  }

  private entry(name: string): Held {
    if (this.closed) throw new Error('the SQLite admin session is closed')
    // A file name in the lock directory (locks.ts makes `workerdb_t_<hex>`).
    if (!/^[\w.-]{1,64}$/.test(name) || name.startsWith('.')) throw new Error(`${JSON.stringify(name)} is not a usable lock name`)
    let h = this.held.get(name)
    if (!h) this.held.set(name, (h = { shared: 0, exclusive: 0 }))
    holding.add(h)
    return h
  }

  private open(name: string, kind: 'lock' | 'gate'): Db {
    const dir = join(this.dir, '.workerdb-locks')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    return openDb(join(dir, `${name}.${kind}`))
  }

  /** Tries once, or (`wait`) every RETRY_MS until it works; false only when not waiting. */
  private async until(attempt: () => boolean, wait: boolean): Promise<boolean> {
    for (;;) {
      if (this.closed) throw new Error('the SQLite admin session was closed while waiting for a lock')
      if (attempt()) return true
      if (!wait) return false
      await new Promise((r) => setTimeout(r, RETRY_MS))
    }
  }

  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(name) ?? Promise.resolve()).then(fn)
    const settled = run.catch(() => {})
    this.queues.set(name, settled)
    void settled.then(() => { if (this.queues.get(name) === settled) this.queues.delete(name) })
    return run
  }
}

/** SHARED on `db`: a read inside a transaction, kept open. False when a writer holds or is taking the file. */
function tryShared(db: Db): boolean {
  db.exec('BEGIN')
  try {
    db.get('select count(*) from sqlite_schema')
    return true
  } catch (err) {
    end(db)
    if (isBusy(err)) return false
    throw err
  }
}

/** EXCLUSIVE on `db`. A BEGIN EXCLUSIVE that fails leaves no transaction (and no PENDING lock) behind. */
function tryExclusive(db: Db): boolean {
  try {
    db.exec('BEGIN EXCLUSIVE')
    return true
  } catch (err) {
    if (isBusy(err)) return false
    throw err
  }
}

function end(db: Db): void {
  db.rollback()
}
