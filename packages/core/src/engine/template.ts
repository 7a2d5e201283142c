/**
 * The template: built once per hash, under an advisory lock so that concurrent runs (CI shards, monorepo
 * packages) build it exactly once and the others wait and reuse it. A template is reusable only when it
 * is sealed (IS_TEMPLATE, no connections) AND its marker says 'ready': a build that died half way is
 * never mistaken for a good one.
 */
import { WorkerDbError } from '../errors.js'
import type { AdminSession, DatabaseRow, Dialect } from '../catalog/dialect.js'
import { templateLock, withLock } from '../catalog/locks.js'
import type { Logger } from '../log.js'
import { makeMarker, parseMarker } from '../catalog/marker.js'
import type { Migrator } from '../migrate/types.js'
import { templateName } from '../catalog/names.js'

export interface TemplateResult {
  name: string
  hash: string
  reused: boolean
  /** Migration steps run (0 on reuse; undefined when the migrator cannot count them). */
  migrationsRun: number | undefined
  ms: number
}

export interface EnsureTemplateOptions {
  admin: AdminSession
  dialect: Dialect
  adminUrl: string
  prefix: string
  hash: string
  runId: string
  /** Written into the template's marker: see Marker.project. */
  project: string
  migrator: Migrator
  /** The env vars to hand a command migrator, given the template's URL. */
  envFor: (url: string) => Record<string, string>
  secrets: string[]
  log: Logger
}

/**
 * Returns holding a SHARED advisory lock on the template's key in `admin`'s session, so that no sweep
 * (which needs the exclusive lock to drop a template) can take the template away while this run clones
 * it: release it with `releaseTemplate` once the clones exist, or by closing the session.
 */
export async function ensureTemplate(opts: EnsureTemplateOptions): Promise<TemplateResult> {
  const started = performance.now()
  const name = templateName(opts.prefix, opts.hash)
  const buildLock = templateLock(opts.hash)
  const reused = (): TemplateResult => ({ name, hash: opts.hash, reused: true, migrationsRun: 0, ms: performance.now() - started })
  // The warm path: a shared lock is enough to find a ready template and use it, so runs that reuse one
  // never wait for each other; only a build takes the exclusive lock.
  await opts.admin.lock(buildLock, 'shared')
  if (isReady((await opts.admin.list(opts.prefix)).find((d) => d.name === name))) return reused()
  await opts.admin.unlock(buildLock, 'shared')
  opts.log.progress(`template ${opts.hash.slice(0, 10)}: waiting for lock`)
  return withLock(opts.admin, buildLock, async () => {
    const existing = (await opts.admin.list(opts.prefix)).find((d) => d.name === name)
    if (existing) {
      const marker = parseMarker(existing.comment)
      if (isReady(existing)) {
        // Built by another run while this one waited. Shared before the exclusive one goes (same session).
        await opts.admin.lock(buildLock, 'shared')
        return reused()
      }
      if (!marker) {
        // Our name, but not our marker: someone else's database. Never touch it.
        // (A run killed in the instant between creating it and marking it leaves this too; only a person
        // can tell the two apart, so say exactly what to run.)
        throw new WorkerDbError('E_CONFIG', `database ${name} exists but carries no workerdb marker, so workerdb will not touch it`,
          `If it is a leftover of a killed workerdb run, drop it: ${opts.dialect.dropByHand(name)}; otherwise choose another \`prefix\`.`)
      }
      // Ours, but never sealed: a build that crashed. We hold the lock, so no one else is building it.
      opts.log.progress(`template ${opts.hash.slice(0, 10)}: removing an unfinished build`)
      await opts.admin.drop(name, { template: true })
    }

    if (opts.migrator.prepare) await opts.migrator.prepare(opts.adminUrl)
    const marker = makeMarker({ kind: 'template', state: 'building', run: opts.runId, hash: opts.hash, project: opts.project })
    await opts.admin.create(name, marker)
    const url = opts.dialect.databaseUrl(opts.adminUrl, name)
    let migrationsRun: number | undefined
    try {
      opts.log.progress(`template ${opts.hash.slice(0, 10)}: migrating (${opts.migrator.describe})`)
      migrationsRun = await opts.migrator.migrate(url, { log: opts.log, env: opts.envFor(url), secrets: opts.secrets })
      await opts.admin.seal(name)
      await opts.admin.mark(name, { ...marker, state: 'ready' })
    } catch (err) {
      await opts.admin.drop(name, { template: true }).catch(() => {})
      throw err
    }
    await opts.admin.lock(buildLock, 'shared')
    return { name, hash: opts.hash, reused: false, migrationsRun, ms: performance.now() - started }
  })
}

/** Lets go of the shared lock ensureTemplate returned with (the clones exist now). */
export async function releaseTemplate(admin: AdminSession, hash: string): Promise<void> {
  await admin.unlock(templateLock(hash), 'shared')
}

function isReady(row: DatabaseRow | undefined): boolean {
  if (!row?.isTemplate) return false
  const marker = parseMarker(row.comment)
  return marker?.kind === 'template' && marker.state === 'ready'
}
