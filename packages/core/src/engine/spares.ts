/**
 * Spare clones: fresh copies of a template, made in the background while a run's tests are running (the
 * runner process is idle then), and taken by the next run with `ALTER DATABASE … RENAME`, which costs
 * milliseconds where a copy costs tens to hundreds. Like IntegreSQL's pool, but kept on the server between
 * runs, so nothing has to stay running. Opt-in (`spares`): they hold disk (one template's size each) and
 * add copy I/O while tests run.
 */
import { connect, type Client } from '../catalog/postgres/db.js'
import { spareClaimLock, templateLock } from '../catalog/locks.js'
import { lock, lockForTransaction } from '../catalog/postgres/locks.js'
import { makeMarker, parseMarker, type Marker } from '../catalog/marker.js'
import { markDatabase } from '../catalog/postgres/marks.js'
import { quoteIdent, spareName, sparePrefix } from '../catalog/names.js'

/** Pure: the spares of this template among these rows, oldest first (claims take those first). */
export function sparesOf(rows: Array<{ name: string; comment: string | null }>, prefix: string, hash: string): string[] {
  const namePrefix = sparePrefix(prefix, hash)
  return rows
    .map((r) => ({ name: r.name, m: parseMarker(r.comment) }))
    .filter((r) => r.name.startsWith(namePrefix) && r.m?.kind === 'spare' && r.m.hash === hash)
    .sort((a, b) => Date.parse(a.m!.createdAt) - Date.parse(b.m!.createdAt) || (a.name < b.name ? -1 : 1))
    .map((r) => r.name)
}

async function listSpares(client: Client, prefix: string, hash: string): Promise<string[]> {
  const { rows } = await client.query(
    `select datname as name, shobj_description(oid, 'pg_database') as comment
       from pg_database where starts_with(datname, $1) and not datistemplate`, [sparePrefix(prefix, hash)])
  return sparesOf(rows, prefix, hash)
}

/**
 * Renames spares into `names` (in order) and marks them as this run's clones, in one transaction under the
 * claim lock: two runs never take the same spare, and a crash midway leaves every spare a spare. Returns
 * the names that were filled; the caller copies the rest.
 */
export async function claimSpares(client: Client, opts: { prefix: string; hash: string; names: string[]; runId: string; marker?: Partial<Marker> }): Promise<{ filled: string[]; failed: string[] }> {
  const filled: string[] = []
  const failed: string[] = []
  if (!opts.names.length) return { filled, failed }
  await client.query('begin')
  try {
    await lockForTransaction(client, spareClaimLock(opts.hash))
    const spares = await listSpares(client, opts.prefix, opts.hash)
    for (let i = 0; i < opts.names.length && spares.length;) {
      const name = opts.names[i]!
      const spare = spares.shift()!
      await client.query('savepoint claim')
      try {
        await client.query(`alter database ${quoteIdent(spare)} rename to ${quoteIdent(name)}`)
        const marker = makeMarker({ ...opts.marker, kind: 'clone', run: opts.runId })
        await markDatabase(client, name, marker)
        await client.query('release savepoint claim')
        filled.push(name)
        i++
      } catch (err) {
        // This name stays open for the next spare.
        await client.query('rollback to savepoint claim')
        // 55006: someone is connected to it (nobody should be, but a person may look): skip it quietly.
        // Anything else (another role made it, …) would repeat on every run: the caller says so once.
        const e = err as { code?: string; message?: string }
        if (e.code !== '55006') failed.push(`${spare}: ${e.message ?? String(err)}`)
      }
    }
    await client.query('commit')
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  }
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

/** The maker of the spares the next run takes: what makeSpares and the background finisher both need. */
export interface SpareJob {
  adminUrl: string; template: string; prefix: string; hash: string; runId: string; project: string; target: number
  strategy?: 'WAL_LOG' | 'FILE_COPY'
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
  let backendPid: number | undefined
  const work = (async () => {
    await opts.startAfter
    if (stopping) return
    const client = await connect(opts.adminUrl)
    try {
      backendPid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
      await lock(client, templateLock(opts.hash), 'shared')
      const have = (await listSpares(client, opts.prefix, opts.hash)).length
      const strategy = opts.strategy ? ` strategy ${opts.strategy}` : ''
      for (let i = have; i < opts.target && !stopping; i++) {
        const name = spareName(opts.prefix, opts.hash)
        opts.markCreating?.(name, true)
        await client.query(`create database ${quoteIdent(name)} template ${quoteIdent(opts.template)}${strategy}`)
        const marker = makeMarker({ kind: 'spare', run: opts.runId, hash: opts.hash, project: opts.project })
        try {
          await markDatabase(client, name, marker)
        } catch (err) {
          // Unmarked, no sweep would ever take it: drop it now, while it is certainly ours.
          await client.query(`drop database if exists ${quoteIdent(name)}`).catch(() => {})
          throw err
        }
        opts.markCreating?.(name, false)
        made++
      }
    } finally {
      backendPid = undefined
      await client.end().catch(() => {})
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
      const pid = backendPid
      if (pid !== undefined) {
        const admin = await connect(opts.adminUrl).catch(() => undefined)
        await admin?.query('select pg_cancel_backend($1)', [pid]).catch(() => {})
        await admin?.end().catch(() => {})
      }
      await work
      return made
    },
  }
}
