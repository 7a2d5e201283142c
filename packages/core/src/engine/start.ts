/**
 * The start of a run: the server started (or reached), its facts checked, and the template built or
 * reused. Returns holding the template's shared lock, so no other run's sweep can drop the template
 * while this run clones it.
 */
import { dirname } from 'node:path'
import { readSessions } from '../runfile/clone-use.js'
import { ownSessions } from '../catalog/postgres/db.js'
import { requireCreate, type AdminSession, type CopyPlan, type Dialect, type ServerFacts } from '../catalog/dialect.js'
import { dialectFor } from '../catalog/dialects.js'
import { cloneName } from '../catalog/names.js'
import { PostgresSession } from '../catalog/postgres/index.js'
import { envFor } from '../env.js'
import { WorkerDbError } from '../errors.js'
import { templateHash } from '../catalog/hash.js'
import { plural, type Logger } from '../log.js'
import type { Migrator } from '../migrate/types.js'
import type { ProvisionOptions } from './provision.js'
import { startServer, type ServerHandle } from '../server/index.js'
import { ensureTemplate, releaseTemplate, type TemplateResult } from './template.js'
import { connectionParts } from '../url.js'
import { cloneLanes, connectionFacts, connectionWarning } from './connections.js'
import { sweepDeadRuns } from '../cleanup/dead-runs.js'

export interface RunStart {
  server: ServerHandle
  dialect: Dialect
  facts: ServerFacts
  /** Starting the server (embedded, container) and reaching it, as the first line says. */
  serverMs: number
  template: TemplateResult
  /** How this run copies the template (its label, e.g. WAL_LOG, is the summary's). */
  copyPlan: CopyPlan
  /** How many copies run at once. */
  lanes: number
  /** Sessions per database when the run started (PostgreSQL 14+), unless unusedClones is 'ignore'. */
  sessions: { before: Map<string, number>; ownBefore: Map<string, number> } | undefined
  /** The admin session holding the template's shared lock, until `release()`: the clones' first copy uses it. */
  hold: TemplateHold
  /** `spares` is on and the kind has them (AdminSession.spares). */
  spares: boolean
}

/** The admin session that holds the template's shared lock while the run's first clones are made. */
export class TemplateHold {
  constructor(private session: AdminSession | undefined, private readonly hash: string) {}

  get admin(): AdminSession | undefined {
    return this.session
  }

  /** Lets go of the lock and the session; idempotent. */
  async release(): Promise<void> {
    const session = this.session
    if (!session) return
    this.session = undefined
    await releaseTemplate(session, this.hash)
    await session.close()
  }
}

/** An empty schema still needs a template: one migrator that does nothing. */
const EMPTY: Migrator = { describe: 'none', async hashInputs() { return [] }, async migrate() { return 0 } }

/** On failure, stops what it started (and still sweeps what dead runs left, since no workers will boot). */
export async function startRun(opts: ProvisionOptions, log: Logger, runId: string): Promise<RunStart> {
  const t0 = performance.now()
  const { config } = opts
  // @testcontainers/postgresql is the user's dependency: look for it where the run is, then by the config file.
  const server = await startServer(config.server, log, { dirs: [process.cwd(), ...(config.file ? [dirname(config.file)] : [])], dialect: config.dialect })
  let admin: AdminSession | undefined
  let hash: string | undefined
  try {
    const dialect = dialectFor(server.adminUrl)
    admin = await dialect.connect(server.adminUrl, server.describe)
    const facts = await admin.facts()
    const serverMs = performance.now() - t0
    requireCreate(dialect, facts)
    let sessions: RunStart['sessions']
    if (config.roles.length) {
      // Before the template is built: a run that cannot make its roles says so at once.
      if (!admin.roles) {
        throw new WorkerDbError('E_CONFIG', `\`roles\` (per-worker roles) needs a server with users; this run's is ${facts.product}`,
          'Remove it from the workerdb config for this database kind.')
      }
      // The plan's last slot (a watch rerun that grows past it is checked again when its clones are made).
      await admin.roles.check(config.roles, { longestClone: cloneName(config.prefix, runId, Math.max(1, opts.plan.count)) })
    }
    if (admin instanceof PostgresSession) {
      const before = config.unusedClones === 'ignore' ? undefined : await readSessions(admin.client, facts)
      sessions = before && { before, ownBefore: new Map(ownSessions()) }
    }
    if (config.spares && !admin.spares) log.warn(`spares: workerdb has none on ${facts.product}; every clone is copied`)
    if (server.kind === 'url') log.info(`${server.describe}: ${facts.product} (${Math.round(serverMs)} ms)`)
    const migrator = config.migrator ?? EMPTY
    if (migrator.dialects && !migrator.dialects.includes(dialect.name)) {
      throw new WorkerDbError('E_CONFIG', `migrate: ${migrator.describe} is driven on ${migrator.dialects.join(', ')} only so far, and this run's server is ${facts.product}`,
        'For this database kind use migrate: { sql }, { command } (your tool\'s own CLI) or { run } (a function).')
    }
    for (const warning of migrator.warnings ?? []) log.warn(warning)
    hash = templateHash({ migrator: await migrator.hashInputs(), serverMajor: facts.major, key: config.key, dialect: dialect.name })
    const connections = connectionFacts(facts, opts.plan.count)
    const tooFew = connections && connectionWarning(connections)
    if (tooFew) log.warn(tooFew)
    const password = safePassword(server.adminUrl)
    const template = await ensureTemplate({
      admin, dialect, adminUrl: server.adminUrl, prefix: config.prefix, hash, runId, project: config.project, migrator, log,
      envFor: (url) => envFor(config.env, url), secrets: password ? [password] : [],
    })
    const how = template.reused ? 'reused' : `built in ${Math.round(template.ms)} ms${template.migrationsRun !== undefined ? ` (${plural(template.migrationsRun, 'migration')})` : ''}`
    log.info(`template ${template.hash.slice(0, 10)}: ${how}${template.reused ? '' : ` with ${migrator.describe}`}`)
    const copyPlan = await admin.copyPlan(template.name, config.cloneStrategy)
    return { server, dialect, facts, serverMs, template, copyPlan, lanes: cloneLanes(connections, server), sessions, hold: new TemplateHold(admin, template.hash), spares: Boolean(config.spares && admin.spares) }
  } catch (err) {
    await admin?.close()
    if (hash) await sweepDeadRuns(server.adminUrl, config, runId, hash, log)
    await server.stop().catch(() => {})
    throw err
  }
}

function safePassword(url: string): string | undefined {
  try {
    return connectionParts(url).password || undefined
  } catch {
    return undefined
  }
}
