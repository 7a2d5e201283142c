/** After a run's clones exist: what dead runs left behind goes, in the background, with one log line per kind. */
import type { ResolvedConfig } from '../config/config.js'
import { plural, type Logger } from '../log.js'
import { deadManifests, removeManifests, sweep, type DeadManifest } from './sweep.js'

export function sweepDeadRuns(adminUrl: string, config: ResolvedConfig, runId: string, hash: string, log: Logger): Promise<unknown> {
  let dead: DeadManifest[] = []
  try {
    dead = deadManifests({ ttlMs: config.sweepTtlMs, keepRuns: [runId] })
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
