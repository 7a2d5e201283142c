/**
 * The start of a run: the server started (or reached), its facts checked, and the template built or
 * reused. Returns holding the template's shared lock, so no other run's sweep can drop the template
 * while this run clones it.
 */
import { dirname } from 'node:path'
import { chooseStrategy } from './clones.js'
import { readSessions } from '../runfile/clone-use.js'
import { connect, ownSessions, requireCreateDb, serverInfo, type Client, type ServerInfo } from '../catalog/db.js'
import { envFor } from '../env.js'
import { templateHash } from '../catalog/hash.js'
import { plural, type Logger } from '../log.js'
import type { Migrator } from '../migrate/types.js'
import type { ProvisionOptions } from './provision.js'
import { checkRoles } from './roles.js'
import { startServer, type ServerHandle } from '../server/index.js'
import { ensureTemplate, releaseTemplate, type TemplateResult } from './template.js'
import { connectionParts } from '../url.js'
import { cloneLanes, connectionFacts, connectionWarning } from './connections.js'
import { sweepDeadRuns } from '../cleanup/dead-runs.js'

export interface RunStart {
  server: ServerHandle
  info: ServerInfo
  /** Starting the server (embedded, container) and reaching it, as the first line says. */
  serverMs: number
  template: TemplateResult
  /** Undefined: the server's default. */
  strategy: 'WAL_LOG' | 'FILE_COPY' | undefined
  /** How many copies run at once. */
  lanes: number
  /** Sessions per database when the run started (PostgreSQL 14+), unless unusedClones is 'ignore'. */
  sessions: { before: Map<string, number>; ownBefore: Map<string, number> } | undefined
  /** The admin session holding the template's shared lock, until `release()`: the clones' first copy uses it. */
  hold: TemplateHold
}

/** The admin session that holds the template's shared lock while the run's first clones are made. */
export class TemplateHold {
  constructor(private session: Client | undefined, private readonly hash: string) {}

  get client(): Client | undefined {
    return this.session
  }

  /** Lets go of the lock and the session; idempotent. */
  async release(): Promise<void> {
    const session = this.session
    if (!session) return
    this.session = undefined
    await releaseTemplate(session, this.hash)
    await session.end().catch(() => {})
  }
}

/** An empty schema still needs a template: one migrator that does nothing. */
const EMPTY: Migrator = { describe: 'none', async hashInputs() { return [] }, async migrate() { return 0 } }

/** On failure, stops what it started (and still sweeps what dead runs left, since no workers will boot). */
export async function startRun(opts: ProvisionOptions, log: Logger, runId: string): Promise<RunStart> {
  const t0 = performance.now()
  const { config } = opts
  // @testcontainers/postgresql is the user's dependency: look for it where the run is, then by the config file.
  const server = await startServer(config.server, log, { dirs: [process.cwd(), ...(config.file ? [dirname(config.file)] : [])] })
  let admin: Client | undefined
  let hash: string | undefined
  try {
    admin = await connect(server.adminUrl, server.describe)
    const info = await serverInfo(admin)
    const serverMs = performance.now() - t0
    requireCreateDb(info)
    // Before the template is built: a run that cannot make its roles says so at once.
    await checkRoles(admin, info, config.roles)
    const before = config.unusedClones === 'ignore' ? undefined : await readSessions(admin, info)
    const sessions = before && { before, ownBefore: new Map(ownSessions()) }
    if (server.kind === 'url') log.info(`${server.describe}: PostgreSQL ${info.major} (${Math.round(serverMs)} ms)`)
    const migrator = config.migrator ?? EMPTY
    for (const warning of migrator.warnings ?? []) log.warn(warning)
    hash = templateHash({ migrator: await migrator.hashInputs(), serverMajor: info.major, key: config.key })
    const facts = await connectionFacts(admin, info, opts.plan.count)
    const tooFew = connectionWarning(facts)
    if (tooFew) log.warn(tooFew)
    const password = safePassword(server.adminUrl)
    const template = await ensureTemplate({
      admin, adminUrl: server.adminUrl, prefix: config.prefix, hash, runId, project: config.project, migrator, log,
      envFor: (url) => envFor(config.env, url), secrets: password ? [password] : [],
    })
    const how = template.reused ? 'reused' : `built in ${Math.round(template.ms)} ms${template.migrationsRun !== undefined ? ` (${plural(template.migrationsRun, 'migration')})` : ''}`
    log.info(`template ${template.hash.slice(0, 10)}: ${how}${template.reused ? '' : ` with ${migrator.describe}`}`)
    const strategy = chooseStrategy(info, await databaseSize(admin, template.name), config.cloneStrategy)
    return { server, info, serverMs, template, strategy, lanes: cloneLanes(facts, server), sessions, hold: new TemplateHold(admin, template.hash) }
  } catch (err) {
    await admin?.end().catch(() => {})
    if (hash) await sweepDeadRuns(server.adminUrl, config, runId, hash, log)
    await server.stop().catch(() => {})
    throw err
  }
}

async function databaseSize(admin: Client, name: string): Promise<number> {
  const { rows } = await admin.query('select pg_database_size(datname)::text as size from pg_database where datname = $1', [name])
  return Number(rows[0]?.size ?? 0)
}

function safePassword(url: string): string | undefined {
  try {
    return connectionParts(url).password || undefined
  } catch {
    return undefined
  }
}
