/** `workerdb sweep [--dry-run]`: what dead runs left, dropped by the same ownership rules a run's sweep uses. */
import { plural } from '../log.js'
import { deadManifests, removeManifests } from '../cleanup/dead-runs.js'
import { sweep } from '../cleanup/sweep.js'
import type { CommandOutput } from './output.js'
import { urlServer } from './server-url.js'

export async function sweepCommand(out: CommandOutput, cwd: string, dryRun: boolean): Promise<void> {
  const { config, url } = await urlServer(cwd, 'sweep')
  const { prefix, project, sweepTtlMs: ttl, keepTemplates } = config
  const warnings: string[] = []
  // Manifests of dead runs in the temp dir (a killed run, Jest 29's bail) name what those runs were creating.
  const dead = deadManifests({ ttlMs: ttl, scope: { adminUrl: url, prefix } })
  const dropped = await sweep(url, { prefix, project, ttlMs: ttl, dryRun, keepTemplates, orphans: dead.flatMap((d) => d.creating), warn: (l) => warnings.push(l) })
  const manifests = dryRun ? [] : removeManifests(dead)
  const databases = dropped.filter((d) => d.kind !== 'role')
  const roles = dropped.filter((d) => d.kind === 'role')
  out.data = { dryRun, databases, roles, manifests, warnings }
  const verb = dryRun ? 'would drop' : 'dropped'
  const counts = [databases.length ? plural(databases.length, 'database') : '', roles.length ? plural(roles.length, 'role') : ''].filter(Boolean).join(' and ')
  out.lines.push(dropped.length ? `${verb} ${counts}:` : 'nothing to sweep')
  // Databases first: a role goes only after its clone.
  for (const d of [...databases, ...roles]) out.lines.push(`  ${d.name}  (${d.reason})`)
  if (manifests.length) out.lines.push(`removed ${plural(manifests.length, 'manifest')} of dead runs`)
  for (const w of warnings) out.lines.push(`note: ${w}`)
}
