/**
 * `workerdb provision --workers N` and `workerdb teardown <run>`: workerdb for runners without a hook
 * (`node --test`, a shell script, another language's test runner). Provision builds or reuses the
 * template, makes N clones and leaves them — marked as owned by no process, so no sweep takes them while
 * they are in use — and prints where the manifest is; tests take a clone each with
 * `claimWorkerDatabase()` (or set WORKERDB_WORKER_ID); teardown drops exactly that run's clones.
 *
 * Passwords never reach stdout: the manifest file (mode 0600) holds the URLs, the output names databases.
 */
import { dropAll } from '../engine/clones.js'
import { connectAdmin } from '../catalog/dialects.js'
import { pgClientOf } from '../catalog/postgres/index.js'
import { WorkerDbError } from '../errors.js'
import { createLogger, plural } from '../log.js'
import { manifestPathFor, removeManifest } from '../runfile/manifest.js'
import { parseMarker } from '../catalog/marker.js'
import { provision } from '../engine/provision.js'
import { dropRoles, rolesOfRun } from '../catalog/postgres/roles.js'
import { redactUrl } from '../url.js'
import { flag, shq, type CommandOutput } from './output.js'
import { urlServer } from './server-url.js'

export const WORKER_ID_VAR = 'WORKERDB_WORKER_ID'
const RUN_ID_RE = /^[0-9a-z]{8}$/

export async function provisionCommand(out: CommandOutput, argv: string[], cwd: string): Promise<void> {
  const raw = flag(argv, 'workers')
  const workers = Number(raw)
  if (!raw || !Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new WorkerDbError('E_CONFIG', `--workers must be a whole number from 1 to 256 (got ${JSON.stringify(raw ?? null)})`,
      'Example: workerdb provision --workers 4 (one database per test process that runs at once).')
  }
  const { config } = await urlServer(cwd, 'provision')
  // Summaries go to stderr; stdout stays machine- (and shell-) readable.
  const log = createLogger({ silent: config.silent })
  const run = await provision({
    config, log, detached: true, workerIdVar: WORKER_ID_VAR, framework: 'workerdb provision',
    plan: { count: workers, reason: `workerdb provision --workers ${workers}` },
  })
  const { runId, manifestPath, manifest } = run
  const teardown = `npx workerdb teardown ${runId}`
  out.data = {
    runId, manifest: manifestPath, workers,
    template: manifest.template,
    clones: manifest.clones.map((c) => ({
      slot: c.slot, database: c.database, url: redactUrl(c.url),
      // Names only: their URLs hold passwords, which stay in the manifest file.
      ...(c.roles ? { roles: Object.fromEntries(Object.entries(c.roles).map(([key, r]) => [key, r.name])) } : {}),
    })),
    env: { WORKERDB_MANIFEST: manifestPath },
    workerIdVar: WORKER_ID_VAR,
    teardown,
  }
  out.lines.push(
    `# workerdb: ${plural(workers, 'clone')} of template ${manifest.template?.hash.slice(0, 10)} for run ${runId}; each test process takes one with claimWorkerDatabase() from '@workerdb/core/worker' (or set ${WORKER_ID_VAR}=1..${workers})`,
    `export WORKERDB_MANIFEST=${shq(manifestPath)}`,
    ...manifest.clones.map((c) => `# ${WORKER_ID_VAR}=${c.slot}: ${c.database}${c.roles ? ` (${Object.entries(c.roles).map(([key, r]) => `role ${key}: ${r.name}`).join(', ')})` : ''}`),
    `# when done: ${teardown}`,
  )
}

export async function teardownCommand(out: CommandOutput, argv: string[], cwd: string): Promise<void> {
  const runId = argv.filter((a) => !a.startsWith('--'))[1]
  if (!runId || !RUN_ID_RE.test(runId)) {
    throw new WorkerDbError('E_CONFIG', `teardown needs the run id that \`workerdb provision\` printed (8 lowercase letters and digits), got ${JSON.stringify(runId ?? null)}`,
      'Example: workerdb teardown k3x9q2ab')
  }
  const { config, url } = await urlServer(cwd, 'teardown')
  const admin = await connectAdmin(url, 'WORKERDB_URL / server.url')
  let names: string[]
  let roles: string[] = []
  let failed: string[] = []
  try {
    // By marker, never by name alone: only clones whose marker names this run.
    names = (await admin.list(config.prefix))
      .filter((r) => { const m = parseMarker(r.comment); return m?.kind === 'clone' && m.run === runId })
      .map((r) => r.name)
    await dropAll(url, names, 4, admin)
    // Then their per-worker roles, by name and marker: also those whose clone someone dropped already.
    const pg = pgClientOf(admin)
    if (pg) ({ dropped: roles, failed } = await dropRoles(pg, await rolesOfRun(pg, config.prefix, runId)))
  } finally {
    await admin.close()
  }
  const manifestRemoved = removeManifest(manifestPathFor(runId))
  out.data = { runId, dropped: names, roles, ...(failed.length ? { rolesFailed: failed } : {}), manifestRemoved }
  const what = [names.length ? plural(names.length, 'clone') : '', roles.length ? plural(roles.length, 'role') : ''].filter(Boolean).join(' and ')
  out.lines.push(what
    ? `dropped ${what} of run ${runId}; template kept for the next run`
    : `run ${runId} has no clones on this server (already torn down?)`)
  for (const f of failed) out.lines.push(`note: could not drop the role ${f}; the sweep tries again`)
}
