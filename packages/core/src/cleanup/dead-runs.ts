/**
 * Dead runs: runs that were killed, or that Jest 29 ended without globalTeardown, leave their manifest and
 * databases behind. After a run's clones exist, what dead runs left goes, in the background, with one log
 * line per kind: first their databases (sweep.ts), then their manifests, the only proof of what they were
 * creating when they died.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { ResolvedConfig } from '../config/options.js'
import { plural, type Logger } from '../log.js'
import { manifestDatabases, manifestDir, parseManifestFileName, removeManifest, type CreatingEntry, type Manifest } from '../runfile/manifest.js'
import { isPidAlive, ownerAlive } from '../runfile/liveness.js'
import { sweep } from './sweep.js'
import { DEFAULT_TTL_MS, manifestInScope } from './sweep-rules.js'

export function sweepDeadRuns(adminUrl: string, config: ResolvedConfig, runId: string, hash: string, log: Logger): Promise<unknown> {
  let dead: DeadManifest[] = []
  try {
    dead = deadManifests({ ttlMs: config.sweepTtlMs, keepRuns: [runId], scope: { adminUrl, prefix: config.prefix } })
  } catch {
    // Files the next run can look at as well.
  }
  return sweep(adminUrl, {
    prefix: config.prefix, project: config.project, ttlMs: config.sweepTtlMs, keepRuns: [runId], keepHashes: [hash], keepTemplates: config.keepTemplates,
    orphans: dead.flatMap((d) => d.creating), warn: (line) => log.warn(line),
  })
    .then((dropped) => {
      // After the databases: a manifest is the only proof of what its run was creating when it died.
      const gone = removeManifests(dead)
      if (gone.length) log.info(`removed ${plural(gone.length, 'manifest')} of dead runs`)
      const count = (kind: string) => dropped.filter((d) => d.kind === kind).length
      const [clones, templates, spares, roles] = [count('clone'), count('template'), count('spare'), count('role')]
      if (clones) log.info(`swept ${plural(clones, 'clone')} left by dead runs`)
      if (roles) log.info(`swept ${plural(roles, 'per-worker role')} left by dead runs`)
      if (spares) log.info(`swept ${plural(spares, 'spare clone')} of templates that are gone`)
      if (templates) log.info(`swept ${plural(templates, 'template')} (older than the newest ${config.keepTemplates} hashes, or unfinished builds)`)
    })
    .catch((err) => log.warn(`sweep failed (harmless, retried next run): ${err.message}`))
}

export interface DeadManifest {
  file: string
  /** The databases the run was creating when it died (see unmarkedOrphans). */
  creating: CreatingEntry[]
}

/**
 * Manifest files (os.tmpdir()/workerdb/<run>.json) of runs that died: a run that is killed, or that Jest 29
 * ends without globalTeardown, never removes its own. Dead when their run's process is gone, or (for
 * `workerdb provision` runs and older manifests without an owner) when older than the TTL. With `scope`, only
 * those a sweep of that prefix on that server may remove (manifestInScope), and any past the TTL.
 */
export function deadManifests(opts: { ttlMs?: number; now?: number; dir?: string; keepRuns?: string[]; scope?: { adminUrl: string; prefix: string } } = {}): DeadManifest[] {
  const dir = opts.dir ?? manifestDir()
  const now = opts.now ?? Date.now()
  const ttl = opts.ttlMs ?? DEFAULT_TTL_MS
  const dead: DeadManifest[] = []
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return dead
  }
  for (const name of names) {
    const file = join(dir, name)
    const run = parseManifestFileName(name)
    if (!run || opts.keepRuns?.includes(run.runId)) continue
    try {
      const age = now - statSync(file).mtimeMs
      if (run.writerPid !== undefined) {
        // A write that never got renamed into place.
        if (isPidAlive({ pid: run.writerPid, host: hostname() }) === false || age > ttl) dead.push({ file, creating: [] })
      } else {
        const m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>
        const owner = typeof m.pid === 'number' && typeof m.host === 'string' && !m.detached
          ? ownerAlive({ pid: m.pid, host: m.host, createdAt: m.createdAt ?? new Date(0).toISOString(), startTicks: m.startTicks })
          : 'unknown'
        // Another project's goes with its own next run, or with anyone's once past the TTL: a project that
        // never runs again must not keep its files in the temp dir for good.
        const ours = !opts.scope || manifestInScope(manifestDatabases(m), opts.scope) || age > ttl
        if (ours && (owner === false || (owner === 'unknown' && age > ttl))) dead.push({ file, creating: Array.isArray(m.creating) ? m.creating : [] })
      }
    } catch {
      // Unreadable or half-written: leave it to its owner, or to a later sweep.
    }
  }
  return dead
}

/** Removes the manifests of dead runs (after the sweep that needed what they list); returns their paths. */
export function removeManifests(dead: readonly DeadManifest[]): string[] {
  for (const d of dead) removeManifest(d.file)
  return dead.map((d) => d.file)
}
