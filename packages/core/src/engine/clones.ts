/**
 * Clones: copies of the template, several at once. A copy needs a session of its own (PostgreSQL's
 * CREATE DATABASE cannot share a transaction or a session), so concurrency is a handful of sessions
 * working through the list.
 */
import { connectAdmin } from '../catalog/dialects.js'
import type { AdminSession, CopyPlan } from '../catalog/dialect.js'
import { makeMarker, parseMarker, type Marker } from '../catalog/marker.js'
import { pgClientOf } from '../catalog/postgres/index.js'
import { dropRoles, rolesOfClones } from '../catalog/postgres/roles.js'

/** Per copied clone, from this a run on a durable server says what would make its copies cheaper. */
export const SLOW_COPY_MS = 100

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
 * How many copies run at once. A copy waits on the disk far more than on a CPU (docs/how-it-works.md,
 * measured choices), so 4 lanes per core, at most 8 — and, on a server with a session limit
 * (`connections`), never more than the connections left after the workers' share, since each lane holds
 * one. At least one.
 */
export function cloneConcurrency(cores: number, connections?: { maxConnections: number; reserved: number; inUse: number; workers: number; perWorker: number }): number {
  const byCores = Math.min(8, 4 * Math.max(1, cores))
  if (!connections) return byCores
  const free = connections.maxConnections - connections.reserved - connections.inUse - connections.workers * connections.perWorker
  return Math.max(1, Math.min(byCores, free))
}

/** Pure: the sessions each of `lanes` copies may use out of `concurrency`, at most the kind's `most` (1 when it names none). */
export function copySessions(concurrency: number, lanes: number, most = 1): number {
  return Math.max(1, Math.min(most, Math.floor(concurrency / Math.max(1, lanes))))
}

export interface CreateClonesOptions {
  adminUrl: string
  template: string
  names: string[]
  runId: string
  plan: CopyPlan
  concurrency: number
  onProgress?: (done: number, total: number) => void
  /** Marker fields over the defaults (pid, host…): `workerdb provision` marks clones no process owns. */
  marker?: Partial<Marker>
  /** An open admin session to use as the first lane (left open): one backend fewer to start while workers boot. */
  first?: AdminSession
}

export async function createClones(opts: CreateClonesOptions): Promise<void> {
  const queue = [...opts.names]
  let done = 0
  const lanes = Math.max(1, Math.min(opts.concurrency, opts.plan.maxLanes ?? Infinity, queue.length))
  // Fewer clones than lanes: each copy gets a share of the lanes left, where its kind can use them.
  const plan = { ...opts.plan, sessionsPerCopy: copySessions(opts.concurrency, lanes, opts.plan.sessionsPerCopy) }
  const sessions: AdminSession[] = []
  try {
    // allSettled, not all: when one clone fails the other lanes finish their statement and write its
    // marker, so teardown can still recognise and drop every clone that was made.
    const results = await Promise.allSettled(Array.from({ length: lanes }, async (_, i) => {
      const session = i === 0 && opts.first ? opts.first : await connectAdmin(opts.adminUrl)
      if (session !== opts.first) sessions.push(session)
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const marker = makeMarker({ ...opts.marker, kind: 'clone', run: opts.runId })
        try {
          await session.copy(opts.template, name, plan, marker)
        } catch (err) {
          queue.length = 0
          throw err
        }
        opts.onProgress?.(++done, opts.names.length)
      }
    }))
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    await Promise.all(sessions.map((s) => s.close()))
  }
}

/**
 * Drops clones by name, but only those whose marker names this run: a name list is never trusted alone.
 * WITH (FORCE) because test workers may not have fully exited when teardown runs. Then their per-worker
 * roles (roles.ts), found by name and checked by marker the same way: a role goes after its database,
 * which takes whatever the role owned or was granted in it.
 */
export async function dropClones(adminUrl: string, names: string[], runId: string, concurrency = 4, warn?: (line: string) => void): Promise<number> {
  if (names.length === 0) return 0
  const admin = await connectAdmin(adminUrl)
  try {
    const named = new Set(names)
    // A prefix has no underscore (names.ts): what precedes a name's first one is its prefix.
    const prefixes = [...new Set(names.map((n) => n.slice(0, n.indexOf('_'))))]
    const ours = (await Promise.all(prefixes.map((p) => admin.list(p)))).flat()
      .filter((r) => { const m = parseMarker(r.comment); return named.has(r.name) && m?.kind === 'clone' && m.run === runId })
      .map((r) => r.name)
    await dropAll(adminUrl, ours, concurrency, admin)
    const pg = pgClientOf(admin)
    if (!pg) return ours.length
    // Roles of every named clone, dropped or already gone: a role whose clone went first is still this run's.
    const { failed } = await dropRoles(pg, await rolesOfClones(pg, names, runId))
    if (failed.length) {
      warn?.(`could not drop ${failed.length === 1 ? 'this per-worker role' : 'these per-worker roles'}: ${failed.join('; ')}; something outside its clone still ` +
        'depends on it (an object it owns, or a privilege granted to it, in another database). The next run\'s sweep tries again; or drop it by hand (DROP OWNED BY … in that database, then DROP ROLE …)')
    }
    return ours.length
  } finally {
    await admin.close()
  }
}

/**
 * Drops clones and spares already known to be ours, a few sessions at once (on PostgreSQL each DROP forces
 * a checkpoint). Never templates: the sweep drops those under their build lock.
 */
export async function dropAll(adminUrl: string, names: string[], concurrency: number, first?: AdminSession): Promise<void> {
  const queue = [...names]
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async (_, i) => {
    const session = i === 0 && first ? first : await connectAdmin(adminUrl)
    try {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await session.drop(name)
    } finally {
      if (session !== first) await session.close()
    }
  }))
}
