/**
 * Spare clones: fresh copies of a template, made in the background while a run's tests are running (the
 * runner process is idle then), and taken by the next run for far less than a copy costs (PostgreSQL
 * renames the database, MySQL/MariaDB moves its tables: catalog/<kind>/spares.ts). Like IntegreSQL's pool,
 * but kept on the server between runs, so nothing has to stay running. Opt-in (`spares`): they hold disk
 * (one template's size each) and add copy I/O while tests run. Kinds without them (SQLite, whose copies
 * are file copies already) copy every clone.
 */
import { dialectFor } from '../catalog/dialects.js'
import type { AdminSession, CopyPlan, DatabaseRow } from '../catalog/dialect.js'
import { spareClaimLock, templateLock, withLock } from '../catalog/locks.js'
import { makeMarker, parseMarker, type Marker } from '../catalog/marker.js'
import { spareName, sparePrefix } from '../catalog/names.js'

/** Pure: the whole spares of this template among these rows, oldest first (claims take those first). */
export function sparesOf(rows: Array<Pick<DatabaseRow, 'name' | 'comment'>>, prefix: string, hash: string): string[] {
  const namePrefix = sparePrefix(prefix, hash)
  return rows
    .map((r) => ({ name: r.name, m: parseMarker(r.comment) }))
    .filter((r) => r.name.startsWith(namePrefix) && r.m?.kind === 'spare' && r.m.hash === hash && r.m.state !== 'building')
    .sort((a, b) => Date.parse(a.m!.createdAt) - Date.parse(b.m!.createdAt) || (a.name < b.name ? -1 : 1))
    .map((r) => r.name)
}

/**
 * Turns spares into `names` (in order), marked as this run's clones, under the claim lock: two runs never
 * take the same spare, and each take is whole or not at all (SpareSupport.take). A spare in use is
 * skipped quietly, one that is not a whole copy is dropped; any other failure is returned to be said once.
 * Returns the names that were filled; the caller copies the rest.
 */
export async function claimSpares(admin: AdminSession, opts: { template: string; prefix: string; hash: string; names: string[]; runId: string; marker?: Partial<Marker> }): Promise<{ filled: string[]; failed: string[] }> {
  const filled: string[] = []
  const failed: string[] = []
  const support = admin.spares
  if (!support || !opts.names.length) return { filled, failed }
  await withLock(admin, spareClaimLock(opts.hash), async () => {
    const spares = sparesOf(await admin.list(opts.prefix), opts.prefix, opts.hash)
    for (let i = 0; i < opts.names.length && spares.length;) {
      const name = opts.names[i]!
      const spare = spares.shift()!
      try {
        const taken = await support.take(opts.template, spare, name, makeMarker({ ...opts.marker, kind: 'clone', run: opts.runId }))
        if (taken === 'taken') {
          filled.push(name)
          i++
        }
      } catch (err) {
        // This name stays open for the next spare.
        failed.push(`${spare}: ${(err as Error).message ?? String(err)}`)
      }
    }
  })
  return { filled, failed }
}

export interface SpareMaker {
  /** Waits until the spares are made (teardown: the next run should find them all); resolves to how many this maker made. */
  done(): Promise<number>
  /**
   * Stops at once: no new copy starts, and the one under way is cancelled (the server removes what it
   * had copied). Resolves to how many this maker made; what is missing, a background process can make.
   */
  stop(): Promise<number>
}

/** How often stop() cancels again while the maker has not ended. */
const CANCEL_AGAIN_MS = 200

/** The maker of the spares the next run takes: what makeSpares and the background finisher both need. */
export interface SpareJob {
  adminUrl: string; template: string; prefix: string; hash: string; runId: string; project: string; target: number
  /** How the run copied its clones (AdminSession.copyPlan): spares are copied the same way. */
  plan: CopyPlan
}

/**
 * Tops the template's spares up to `target`, one copy at a time (one lane: it runs beside the tests and
 * should not compete with them), under the template's shared lock so no sweep drops the template meanwhile.
 * Best effort: any failure just means fewer spares, and the next run copies instead.
 */
export function makeSpares(opts: SpareJob & {
  onError?: (err: Error) => void
  /** Each name before its copy starts (on) and once it is marked (off): see Manifest.creating. */
  markCreating?: (name: string, on: boolean) => void
  /** Copies start once this resolves (see deferred-start.ts). */
  startAfter?: Promise<void>
}): SpareMaker {
  let made = 0
  let stopping = false
  /** The session doing the copies, once connected: stop() cancels its statement. */
  let copying: AdminSession | undefined
  const work = (async () => {
    await opts.startAfter
    if (stopping) return
    const admin = await dialectFor(opts.adminUrl).connect(opts.adminUrl)
    try {
      const support = admin.spares
      if (!support) return
      // From here stop() cancels what this session waits for: the lock too.
      copying = admin
      await admin.lock(templateLock(opts.hash), 'shared')
      const have = sparesOf(await admin.list(opts.prefix), opts.prefix, opts.hash).length
      for (let i = have; i < opts.target && !stopping; i++) {
        const name = spareName(opts.prefix, opts.hash)
        opts.markCreating?.(name, true)
        await support.make(opts.template, name, opts.plan, makeMarker({ kind: 'spare', run: opts.runId, hash: opts.hash, project: opts.project }))
        opts.markCreating?.(name, false)
        made++
      }
    } finally {
      copying = undefined
      await admin.close()
    }
  })().catch((err: Error) => {
    // A cancelled copy is what stop() asked for.
    if (!stopping) opts.onError?.(err)
  })
  return {
    async done() {
      await work
      return made
    },
    async stop() {
      stopping = true
      // Again until the work ends: a cancel that lands between two statements of a copy ends nothing.
      let ended = false
      void work.then(() => { ended = true })
      while (!ended) {
        await copying?.spares?.cancel()
        await Promise.race([work, new Promise((resolve) => setTimeout(resolve, CANCEL_AGAIN_MS))])
      }
      return made
    },
  }
}
