/**
 * Clones: `CREATE DATABASE … TEMPLATE …`, several at once. Each CREATE DATABASE needs a connection of
 * its own (it cannot share a transaction or a session), so concurrency is a handful of clients working
 * through the list.
 */
import { WorkerDbError } from '../errors.js'
import { connect, type Client, type ServerInfo } from '../catalog/db.js'
import { makeMarker, markDatabase, parseMarker, type Marker } from '../catalog/marker.js'
import { quoteIdent } from '../catalog/names.js'
import { dropRoles, rolesOfClones } from './roles.js'
import { redactText } from '../url.js'

export type CloneStrategy = 'auto' | 'WAL_LOG' | 'FILE_COPY'

/**
 * FILE_COPY checkpoints twice per clone: cheap with fsync off, costly with fsync on, where WAL_LOG wins
 * for small templates (docs/performance.md, the clone strategy rows). Large templates favour FILE_COPY again, and so
 * does PostgreSQL 18 with `file_copy_method = clone`, where the copy is a reflink of each file (near free
 * on XFS, Btrfs, APFS; the server's setting, which workerdb reads but never changes).
 * Before PostgreSQL 15 there is no choice to make.
 */
export function chooseStrategy(info: Pick<ServerInfo, 'major' | 'fsync' | 'fileCopyMethod'>, templateBytes: number, requested: CloneStrategy = 'auto'): 'WAL_LOG' | 'FILE_COPY' | undefined {
  if (info.major < 15) return undefined
  if (requested !== 'auto') return requested
  if (!info.fsync) return 'FILE_COPY'
  if (info.major >= 18 && info.fileCopyMethod === 'clone') return 'FILE_COPY'
  return templateBytes > 64 * 1024 * 1024 ? 'FILE_COPY' : 'WAL_LOG'
}

/** Per copied clone, from this a run on a durable server says what would make its copies cheaper. */
export const SLOW_COPY_MS = 100

/** How to make a test-only server stop waiting for its disk; `workerdb doctor` prints it. */
export const DURABILITY_FIX = 'For a server that only runs tests: start it with `-c fsync=off -c full_page_writes=off -c synchronous_commit=off` ' +
  '(`docker run … postgres -c fsync=off …`), or on a running one `ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET full_page_writes = off; ' +
  'ALTER SYSTEM SET synchronous_commit = off; SELECT pg_reload_conf();` (no restart). Its data on tmpfs (`--tmpfs /var/lib/postgresql/data`) ' +
  'saves more. Never on a server whose data must survive a crash.'

/**
 * Pure: the line a run prints when its copies were slow because the server waits for its disk (fsync on),
 * or undefined. docs/performance.md (the "durability" row) has what fsync and a tmpfs data dir cost.
 */
export function durabilityHint(run: { fsync: boolean; copies: number; copyMs: number }): string | undefined {
  if (!run.fsync || run.copies === 0) return undefined
  const perCopy = Math.round(run.copyMs / run.copies)
  if (perCopy < SLOW_COPY_MS) return undefined
  return `cloning took ${perCopy} ms per clone: this server runs with fsync on, so every copy waits for the disk. ` +
    'A server that only runs tests can run with fsync off and its data on tmpfs: `npx workerdb doctor` says how.'
}

/**
 * How many CREATE DATABASE statements run at once. A copy waits on the disk far more than on a CPU
 * (docs/how-it-works.md, measured choices), so 4 lanes per core, at most 8 —
 * and never more than the connections left after the workers' share, since each lane holds one. At least one.
 */
export function cloneConcurrency(opts: { cores: number; maxConnections: number; reserved: number; inUse: number; workers: number; perWorker: number }): number {
  const free = opts.maxConnections - opts.reserved - opts.inUse - opts.workers * opts.perWorker
  return Math.max(1, Math.min(8, 4 * Math.max(1, opts.cores), free))
}

export interface CreateClonesOptions {
  adminUrl: string
  template: string
  names: string[]
  runId: string
  strategy?: 'WAL_LOG' | 'FILE_COPY'
  concurrency: number
  onProgress?: (done: number, total: number) => void
  /** Marker fields over the defaults (pid, host…): `workerdb provision` marks clones no process owns. */
  marker?: Partial<Marker>
  /** An open admin session to use as the first lane (left open): one backend fewer to start while workers boot. */
  first?: Client
}

export async function createClones(opts: CreateClonesOptions): Promise<void> {
  const queue = [...opts.names]
  let done = 0
  const strategy = opts.strategy ? ` strategy ${opts.strategy}` : ''
  const lanes = Math.max(1, Math.min(opts.concurrency, queue.length))
  const clients: Client[] = []
  try {
    // allSettled, not all: when one clone fails the other lanes finish their statement and write its
    // marker, so teardown can still recognise and drop every clone that was made.
    const results = await Promise.allSettled(Array.from({ length: lanes }, async (_, i) => {
      const client = i === 0 && opts.first ? opts.first : await connect(opts.adminUrl)
      if (client !== opts.first) clients.push(client)
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const marker = makeMarker({ ...opts.marker, kind: 'clone', run: opts.runId })
        try {
          await client.query(`create database ${quoteIdent(name)} template ${quoteIdent(opts.template)}${strategy}`)
        } catch (err) {
          queue.length = 0
          throw cloneError(err, name, opts.template)
        }
        await markDatabase(client, name, marker)
        opts.onProgress?.(++done, opts.names.length)
      }
    }))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
  }
}

function cloneError(err: unknown, name: string, template: string): WorkerDbError {
  const e = err as { code?: string; message?: string }
  if (e.code === '42501') {
    return new WorkerDbError('E_NO_CREATEDB', `permission denied to create clone ${name}: ${e.message}`,
      'The role needs CREATEDB (ALTER ROLE … CREATEDB) to copy the template.', { cause: err })
  }
  if (e.code === '55006') {
    return new WorkerDbError('E_CLONE', `cannot clone ${template}: ${e.message}`,
      'Something is connected to the template; close that session (workerdb seals templates against new connections).', { cause: err })
  }
  return new WorkerDbError('E_CLONE', `creating clone ${name} failed: ${redactText(e.message ?? String(err))}`,
    'Check the server log; `npx workerdb doctor` checks the usual causes.', { cause: err })
}

/**
 * Drops clones by name, but only those whose marker names this run: a name list is never trusted alone.
 * WITH (FORCE) because test workers may not have fully exited when teardown runs. Then their per-worker
 * roles (roles.ts), found by name and checked by marker the same way: a role goes after its database,
 * which takes whatever the role owned or was granted in it.
 */
export async function dropClones(adminUrl: string, names: string[], runId: string, concurrency = 4, warn?: (line: string) => void): Promise<number> {
  if (names.length === 0) return 0
  const admin = await connect(adminUrl)
  try {
    const { rows } = await admin.query(
      `select datname as name, shobj_description(oid, 'pg_database') as comment from pg_database where datname = any($1)`,
      [names],
    )
    const ours: string[] = rows
      .filter((r) => { const m = parseMarker(r.comment); return m?.kind === 'clone' && m.run === runId })
      .map((r) => r.name)
    await dropAll(adminUrl, ours, concurrency, admin)
    // Roles of every named clone, dropped or already gone: a role whose clone went first is still this run's.
    const { failed } = await dropRoles(admin, await rolesOfClones(admin, names, runId))
    if (failed.length) {
      warn?.(`could not drop ${failed.length === 1 ? 'this per-worker role' : 'these per-worker roles'}: ${failed.join('; ')}; something outside its clone still ` +
        'depends on it (an object it owns, or a privilege granted to it, in another database). The next run\'s sweep tries again; or drop it by hand (DROP OWNED BY … in that database, then DROP ROLE …)')
    }
    return ours.length
  } finally {
    await admin.end().catch(() => {})
  }
}

/**
 * Drops clones and spares already known to be ours, a few sessions at once: each DROP forces a checkpoint.
 * Never templates (the sweep drops those under their build lock), so nothing is unmarked first — and must
 * not be: a database that another session is dropping right now (a finished run's dropper, racing the next
 * run's sweep) is invalid until that ends, and ALTER DATABASE on an invalid database is FATAL, ending this
 * session and every drop still queued on it.
 */
export async function dropAll(adminUrl: string, names: string[], concurrency: number, first?: Client): Promise<void> {
  const queue = [...names]
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async (_, i) => {
    const client = i === 0 && first ? first : await connect(adminUrl)
    try {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        await client.query(`drop database if exists ${quoteIdent(name)} with (force)`)
      }
    } finally {
      if (client !== first) await client.end().catch(() => {})
    }
  }))
}
