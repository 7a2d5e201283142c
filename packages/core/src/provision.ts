/**
 * One run's provisioning, start to end: server → template (built or reused) → clones → manifest, and
 * the teardown that undoes exactly what this run made. Framework packages call this from their runner
 * side; nothing here knows which framework it serves.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname } from 'node:path'
import { dropInBackground } from './background-drop.js'
import { deferredStart, WORKERS_BOOT_MS } from './deferred-start.js'
import { cloneConcurrency, createClones, chooseStrategy, dropClones, durabilityHint } from './clones.js'
import type { ResolvedConfig } from './config.js'
import { connect, driverPath, ownSessions, requireCreateDb, serverInfo, type Client, type ServerInfo } from './db.js'
import { cloneUse, readOwnSessions, readSessions, UNUSED_CLONES_HINT, unusedClonesMessage, type CloneUse } from './clone-use.js'
import { envFor } from './env.js'
import { WorkerDbError } from './errors.js'
import { templateHash } from './hash.js'
import { createLogger, ms, type Logger } from './log.js'
import { baseManifest, MANIFEST_ENV, manifestPathFor, removeManifest, writeManifest, type CreatingEntry, type Manifest } from './manifest.js'
import { cloneName, newRunId } from './naming.js'
import type { Plan } from './plan/plan.js'
import { startServer, type ServerHandle } from './server/index.js'
import { claimSpares, makeSpares, type SpareJob, type SpareMaker } from './spares.js'
import { deadManifests, removeManifests, sweep, type DeadManifest } from './sweep.js'
import { ensureTemplate, releaseTemplate, type TemplateResult } from './template.js'
import { connectionParts, redactText, withDatabase } from './url.js'
import type { Migrator } from './migrate/types.js'
import { planReset, readResetCatalog, type ManifestReset, type ResetPer } from './isolation/reset.js'

export interface ProvisionOptions {
  config: ResolvedConfig
  plan: Plan
  /** "vitest 4.1.12": shown in summaries and in E_NO_CLONE. */
  framework: string
  /** The env var that holds a worker's slot (VITEST_POOL_ID, JEST_WORKER_ID). */
  workerIdVar: string
  log?: Logger
  runId?: string
  /** No process owns the run (`workerdb provision`): clones and manifest outlive this process until `workerdb teardown`. */
  detached?: boolean
  /**
   * Teardown hands the drops of a URL server's clones to a detached process and returns without waiting
   * for them (background-drop.ts). The test runners set it; the API default waits, so that a caller who
   * awaits teardown finds the clones gone.
   */
  dropInBackground?: boolean
}

export interface ProvisionSummary {
  runId: string
  server: string
  /** Starting the server (embedded, container) and reaching it: connect and server facts. */
  serverMs: number
  template: TemplateResult | null
  clones: number
  clonesMs: number
  strategy: string
  plan: Plan
  /** Clones taken from spares the previous runs made (renamed, not copied). */
  fromSpares?: number
  /** Filled in at teardown. */
  sparesMade?: number
  dropped?: number
  /** The dropper's pid, when teardown handed the drops to it. */
  dropperPid?: number
  /** Which clones the tests connected to, and which other databases they may have used instead (PostgreSQL 14+). */
  cloneUse?: CloneUse
  teardownMs?: number
}

/** WORKERDB_SUMMARY_FILE: a machine-readable record of the run (CI dashboards, the demo's table). */
function recordSummary(summary: ProvisionSummary, log: Logger): void {
  const file = process.env.WORKERDB_SUMMARY_FILE
  if (!file) return
  try {
    writeFileSync(file, JSON.stringify(summary, null, 2))
  } catch (err) {
    // A record for dashboards must never fail the run it records.
    log.warn(`cannot write WORKERDB_SUMMARY_FILE ${file}: ${(err as Error).message}`)
  }
}

export interface Provisioned {
  runId: string
  manifest: Manifest
  manifestPath: string
  summary: ProvisionSummary
  /** Makes clones for slots up to `count` (watch reruns that need more workers). */
  grow(plan: Plan): Promise<void>
  /** Drops this run's clones, stops a server workerdb started, removes the manifest. Idempotent. */
  teardown(): Promise<void>
}

/** An empty schema still needs a template: one migrator that does nothing. */
const EMPTY: Migrator = { describe: 'none', async hashInputs() { return [] }, async migrate() { return 0 } }

export async function provision(o: ProvisionOptions): Promise<Provisioned> {
  const log = o.log ?? createLogger({ silent: o.config.silent })
  const runId = o.runId ?? newRunId()
  const manifestPath = manifestPathFor(runId)
  const t0 = performance.now()
  // @testcontainers/postgresql is the user's dependency: look for it where the run is, then by the config file.
  const server = await startServer(o.config.server, log, { dirs: [process.cwd(), ...(o.config.file ? [dirname(o.config.file)] : [])] })
  // The server's part of the start: starting it (embedded, container) and reaching it, as the first line says.
  let serverMs = performance.now() - t0
  let info: ServerInfo
  /** Sessions per database when the run started (PostgreSQL 14+): did the tests use their clones? */
  let sessionsBefore: Map<string, number> | undefined
  let ownSessionsBefore = new Map<string, number>()
  let lanes = 2
  let durabilityHintShown = false
  let strategy: 'WAL_LOG' | 'FILE_COPY' | undefined
  let template: TemplateResult
  const password = safePassword(server.adminUrl)
  const clones: string[] = []
  let sweeping: Promise<unknown> | undefined
  let hash: string | undefined
  // Open until this run's clones exist: its session holds the template's shared lock, so no other run's
  // sweep can drop the template while it is being cloned.
  let admin: Client | undefined
  try {
    admin = await connect(server.adminUrl, server.describe)
    info = await serverInfo(admin)
    serverMs = performance.now() - t0
    requireCreateDb(info)
    if (o.config.unusedClones !== 'ignore') {
      sessionsBefore = await readSessions(admin, info)
      ownSessionsBefore = new Map(ownSessions())
    }
    if (server.kind === 'url') log.info(`${server.describe}: PostgreSQL ${info.major} (${Math.round(serverMs)} ms)`)
    const migrator = o.config.migrator ?? EMPTY
    for (const warning of migrator.warnings ?? []) log.warn(warning)
    hash = templateHash({ migrator: await migrator.hashInputs(), serverMajor: info.major, key: o.config.key })
    const connections = {
      maxConnections: info.maxConnections, reserved: info.superuser ? 0 : info.reservedConnections,
      inUse: await connectionsInUse(admin), workers: o.plan.count, perWorker: CONNECTIONS_PER_WORKER,
    }
    const tooFew = connectionWarning(connections)
    if (tooFew) log.warn(tooFew)
    // Cores bound the copies only where the server shares them: a remote server's are unknown, so its connections decide.
    lanes = cloneConcurrency({ ...connections, cores: isLocalServer(server) ? availableParallelism() : 8 })
    template = await ensureTemplate({
      admin, adminUrl: server.adminUrl, prefix: o.config.prefix, hash, runId, project: o.config.project, migrator, log,
      envFor: (url) => envFor(o.config.env, url), secrets: password ? [password] : [],
    })
    const how = template.reused ? 'reused' : `built in ${Math.round(template.ms)} ms${template.migrationsRun !== undefined ? ` (${template.migrationsRun} migration${template.migrationsRun === 1 ? '' : 's'})` : ''}`
    log.info(`template ${template.hash.slice(0, 10)}: ${how}${template.reused ? '' : ` with ${migrator.describe}`}`)
    strategy = chooseStrategy(info, await databaseSize(admin, template.name), o.config.cloneStrategy)
  } catch (err) {
    await admin?.end().catch(() => {})
    // A run whose build fails still sweeps what dead runs left (no workers will boot to wait for).
    if (hash) await sweepInBackground(server.adminUrl, o.config, runId, hash, log)
    await server.stop().catch(() => {})
    throw err
  }
  const releaseAdmin = async () => {
    if (!admin) return
    const a = admin
    admin = undefined
    await releaseTemplate(a, template.hash)
    await a.end().catch(() => {})
  }

  const manifest: Manifest = {
    ...baseManifest({ runId, framework: o.framework, plan: o.plan, env: o.config.env, workerIdVar: o.workerIdVar }),
    server: server.describe, template: { name: template.name, hash: template.hash, reused: template.reused },
    ...(o.detached ? { pid: undefined, detached: true } : {}),
  }
  /** What every clone's marker says beyond its run: its project, and whether a process owns it. */
  const cloneMarker = { project: o.config.project, ...(o.detached ? { detached: true } : {}) }
  const summary: ProvisionSummary = {
    runId, server: server.describe, serverMs, template, clones: 0, clonesMs: 0, strategy: strategy ?? 'default', plan: o.plan,
  }

  // Pending until the first clones exist: Vitest's workers may already be waiting on this file.
  let pending = true
  // Named in the manifest before each copy starts (clones, and spares during the tests): a run killed
  // before their markers are written leaves the next run's sweep this proof that they are ours.
  const creating = new Map<string, CreatingEntry>()
  const writeCurrent = () => writeManifest(manifestPath, {
    ...manifest, ...(pending ? { pending: true } : {}), ...(creating.size ? { creating: [...creating.values()] } : {}),
  })
  const announce = (names: string[], on: boolean) => {
    for (const database of names) {
      if (on) creating.set(database, { database, url: withDatabase(server.adminUrl, database) })
      else creating.delete(database)
    }
    writeCurrent()
  }

  let resetPlanned = false
  async function grow(plan: Plan): Promise<void> {
    const have = manifest.clones.length
    if (plan.count <= have) return
    const started = performance.now()
    const names = Array.from({ length: plan.count - have }, (_, i) => cloneName(o.config.prefix, runId, have + i + 1))
    clones.push(...names)
    log.info(`plan: ${plan.count} clone${plan.count === 1 ? '' : 's'} (${plan.reason})`)
    const renamed = o.config.spares ? await takeSpares(names) : []
    const copies = names.filter((n) => !renamed.includes(n))
    if (copies.length) announce(copies, true)
    await createClones({
      adminUrl: server.adminUrl, template: template.name, names: copies, runId, strategy, marker: cloneMarker,
      concurrency: lanes, first: admin,
      onProgress: (done, total) => log.progress(`cloning ${done}/${total}`),
    })
    for (const [i, database] of names.entries()) {
      manifest.clones.push({ slot: have + i + 1, database, url: withDatabase(server.adminUrl, database) })
    }
    // Read from the first clone: the template itself is sealed against connections, and a clone's
    // catalog is the template's. Before the manifest is written, so no worker ever sees a run without it.
    if (o.config.reset && !resetPlanned && manifest.clones[0]) {
      manifest.reset = await planResetFor(manifest.clones[0].url, o.config.reset, await o.config.migrator?.ledgerTables?.())
      resetPlanned = true
      const n = manifest.reset?.refs.length ?? 0
      const when = o.config.reset.per === 'test' ? 'before every test file and every test' : 'before every test file'
      log.info(`reset: ${n ? `${n} table${n === 1 ? '' : 's'} emptied ${when}` : 'no tables to empty'}`)
    }
    manifest.plan = plan
    pending = false
    announce(copies, false)
    summary.clones = manifest.clones.length
    summary.clonesMs += performance.now() - started
    summary.plan = plan
    summary.fromSpares = (summary.fromSpares ?? 0) + renamed.length
    const how = [renamed.length ? `${renamed.length} from spares` : '', renamed.length < names.length ? strategy : ''].filter(Boolean).join(', ')
    log.info(`${names.length} clone${names.length === 1 ? '' : 's'} ready in ${ms(started)}${how ? ` (${how})` : ''}`)
    // Once per run: a watch rerun's few new clones need not repeat it.
    const hint = durabilityHintShown ? undefined : durabilityHint({ fsync: info.fsync, copies: copies.length, copyMs: performance.now() - started })
    if (hint) {
      durabilityHintShown = true
      log.info(hint)
    }
  }

  /** Best effort: a failed claim only means copying instead. */
  async function takeSpares(names: string[]): Promise<string[]> {
    const client = admin ?? await connect(server.adminUrl).catch(() => undefined)
    if (!client) return []
    try {
      const { filled, failed } = await claimSpares(client, { prefix: o.config.prefix, hash: template.hash, names, runId, marker: cloneMarker })
      if (failed.length) log.warn(`could not take ${failed.length} spare clone${failed.length === 1 ? '' : 's'} (copied instead): ${redactText(failed.join('; '))}`)
      return filled
    } catch (err) {
      log.warn(`could not take spare clones (copying instead): ${redactText((err as Error).message)}`)
      return []
    } finally {
      if (client !== admin) await client.end().catch(() => {})
    }
  }

  // The sweep and the spare copies start once the workers have booted (see deferred-start.ts); `workerdb
  // provision` has no workers to wait for.
  const background = deferredStart(o.detached ? 0 : WORKERS_BOOT_MS)

  let spareMaker: SpareMaker | undefined
  let spareJob: SpareJob | undefined
  /** While the tests run, copies for the next run: it then starts by renaming (see spares.ts). */
  function startSpares(): void {
    // A throwaway server takes spares with it; `workerdb provision` exits before they could be made.
    if (!o.config.spares || !server.persistent || o.detached) return
    spareJob = {
      adminUrl: server.adminUrl, template: template.name, prefix: o.config.prefix, hash: template.hash, runId, project: o.config.project, strategy,
      target: o.config.spares === 'plan' ? manifest.clones.length : o.config.spares,
    }
    spareMaker = makeSpares({
      ...spareJob,
      onError: (err) => log.warn(`making spare clones failed (harmless; the next run copies instead): ${redactText(err.message)}`),
      announce: (name, on) => announce([name], on),
      startAfter: background.ready,
    })
  }

  /**
   * Before the drops: warns when the tests went around their clones, or with unusedClones: 'error' returns
   * the error for teardown to throw once everything is cleaned up.
   */
  async function checkCloneUse(): Promise<WorkerDbError | undefined> {
    if (!sessionsBefore || !clones.length) return undefined
    const client = await connect(server.adminUrl, server.describe).catch(() => undefined)
    if (!client) return undefined
    let after: Map<string, number> | undefined
    try {
      after = await readSessions(client, info)
    } finally {
      await client.end().catch(() => {})
    }
    if (!after) return undefined
    const own = new Map<string, number>()
    for (const [name, n] of ownSessions()) own.set(name, n - (ownSessionsBefore.get(name) ?? 0))
    for (const [name, n] of readOwnSessions(manifestPath)) own.set(name, (own.get(name) ?? 0) + n)
    // The admin database is every workerdb run's (and any tool's) way in: its sessions say nothing about the tests.
    const adminDatabase = connectionParts(server.adminUrl).database
    summary.cloneUse = cloneUse({ clones, before: sessionsBefore, after, own, ours: (name) => name === adminDatabase || name.startsWith(`${o.config.prefix}_`) })
    const message = unusedClonesMessage(summary.cloneUse, Object.keys(o.config.env))
    if (!message) return undefined
    if (o.config.unusedClones === 'error') return new WorkerDbError('E_CLONES_UNUSED', message, UNUSED_CLONES_HINT)
    log.warn(`${message}\n  → ${UNUSED_CLONES_HINT} To fail such a run (in CI), set unusedClones: 'error'.`)
    return undefined
  }

  let tornDown = false
  async function teardown(): Promise<void> {
    if (tornDown) return
    tornDown = true
    const started = performance.now()
    background.now()
    let unused: WorkerDbError | undefined
    try {
      // Handed to a background process with the drops, the spares not yet made never delay the run's end.
      const handOff = server.persistent && o.dropInBackground && server.kind === 'url' && clones.length > 0
      const spares = handOff ? await spareMaker?.stop() : await spareMaker?.done()
      if (spares) {
        summary.sparesMade = spares
        log.info(`made ${spares} spare clone${spares === 1 ? '' : 's'} while the tests ran, for the next run to take`)
      }
      unused = await checkCloneUse()
      // A throwaway embedded server takes its databases with it: dropping them first would only cost time.
      let dropped = 0
      if (handOff) {
        summary.dropperPid = dropInBackground({ adminUrl: server.adminUrl, names: clones, runId, spares: spareJob })
      } else if (server.persistent) {
        dropped = await dropClones(server.adminUrl, clones, runId)
      }
      await sweeping
      summary.dropped = dropped
      summary.teardownMs = performance.now() - started
      if (summary.dropperPid) log.info(`dropping ${clones.length} clone${clones.length === 1 ? '' : 's'} in the background (pid ${summary.dropperPid}); template kept for the next run`)
      else if (dropped) log.info(`dropped ${dropped} clone${dropped === 1 ? '' : 's'} in ${ms(started)}; template kept for the next run`)
      else if (!server.persistent) log.info('stopped the embedded server; its data goes with it (WORKERDB_EMBEDDED_DATA_DIR keeps templates between runs)')
    } finally {
      await releaseAdmin()
      removeManifest(manifestPath)
      if (process.env[MANIFEST_ENV] === manifestPath) delete process.env[MANIFEST_ENV]
      await server.stop()
      recordSummary(summary, log)
    }
    if (unused) throw unused
  }

  // Off the critical path: dead runs' clones (and manifests, and templates beyond the newest few) go once
  // this run's clones exist (or failed to) and its workers have booted.
  const startSweep = () => { sweeping ??= background.ready.then(() => sweepInBackground(server.adminUrl, o.config, runId, template.hash, log)) }
  try {
    writeCurrent()
    // Set before the pool starts, so every worker process/thread inherits it.
    if (!o.detached) process.env[MANIFEST_ENV] = manifestPath
    await grow(o.plan)
    await releaseAdmin()
    startSweep()
    startSpares()
  } catch (err) {
    startSweep()
    await teardown().catch(() => {})
    throw err
  }
  recordSummary(summary, log)
  return { runId, manifest, manifestPath, summary, grow, teardown }
}

async function planResetFor(url: string, o: { keep: string[]; per: ResetPer }, ledger: readonly string[] | undefined): Promise<ManifestReset | undefined> {
  const client = await connect(url, 'the first clone')
  try {
    const reset = planReset(await readResetCatalog(client), { keep: o.keep, per: o.per, ledger })
    return reset && { ...reset, driver: driverPath() }
  } finally {
    await client.end().catch(() => {})
  }
}

/** Connections a worker is assumed to hold at once (a test's client, or a small pool): the basis of the warning. */
export const CONNECTIONS_PER_WORKER = 2

/**
 * Pure: will this run's workers find enough connections? Warned before anything starts, because the
 * failure comes late and far from its cause ("sorry, too many clients already" in some test). Counts
 * what is left for ordinary roles: max_connections minus the superuser reserve minus what is in use now.
 */
export function connectionWarning(o: { maxConnections: number; reserved: number; inUse: number; workers: number; perWorker: number }): string | undefined {
  const free = o.maxConnections - o.reserved - o.inUse
  const needed = o.workers * o.perWorker
  if (needed <= free) return undefined
  return `the server allows ${o.maxConnections} connections (${o.reserved} reserved for superusers, ${o.inUse} in use now, so ${Math.max(0, free)} free) ` +
    `and this run has ${o.workers} worker${o.workers === 1 ? '' : 's'} needing about ${o.perWorker} each; tests may fail with "sorry, too many clients already". ` +
    'Raise max_connections, lower maxWorkers, or keep each worker\'s pool small.'
}

async function connectionsInUse(admin: Client): Promise<number> {
  const { rows } = await admin.query("select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'")
  return rows[0]?.n ?? 0
}

function sweepInBackground(adminUrl: string, config: ResolvedConfig, runId: string, hash: string, log: Logger): Promise<unknown> {
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
      if (gone.length) log.info(`removed ${gone.length} manifest${gone.length === 1 ? '' : 's'} of dead runs`)
      const count = (kind: string) => dropped.filter((d) => d.kind === kind).length
      const [clones, templates, spares] = [count('clone'), count('template'), count('spare')]
      if (clones) log.info(`swept ${clones} clone${clones === 1 ? '' : 's'} left by dead runs`)
      if (spares) log.info(`swept ${spares} spare clone${spares === 1 ? '' : 's'} of templates that are gone`)
      if (templates) log.info(`swept ${templates} template${templates === 1 ? '' : 's'} (older than the newest ${config.keepTemplates} hashes, or unfinished builds)`)
    })
    .catch((err) => log.warn(`sweep failed (harmless, retried next run): ${err.message}`))
}

function isLocalServer(server: ServerHandle): boolean {
  if (server.kind === 'embedded') return true
  try {
    return ['localhost', '127.0.0.1', '::1', '[::1]', ''].includes(connectionParts(server.adminUrl).host)
  } catch {
    return false
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

