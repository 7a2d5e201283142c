/**
 * One run's provisioning, start to end: server → template (built or reused) → clones → manifest, and
 * the teardown that undoes exactly what this run made. Framework packages call this from their runner
 * side; nothing here knows which framework it serves.
 */
import { writeFileSync } from 'node:fs'
import { createClones, chooseStrategy, dropClones } from './clones.js'
import type { ResolvedConfig } from './config.js'
import { connect, requireCreateDb, serverInfo, type Client, type ServerInfo } from './db.js'
import { envFor } from './env.js'
import { templateHash } from './hash.js'
import { createLogger, ms, type Logger } from './log.js'
import { MANIFEST_ENV, manifestPathFor, removeManifest, writeManifest, type Manifest } from './manifest.js'
import { cloneName, newRunId } from './naming.js'
import type { Plan } from './plan.js'
import { startServer } from './server/index.js'
import { sweep } from './sweep.js'
import { ensureTemplate, type TemplateResult } from './template.js'
import { connectionParts, withDatabase } from './url.js'
import type { Migrator } from './migrate/types.js'

export interface ProvisionOptions {
  config: ResolvedConfig
  plan: Plan
  /** "vitest 4.1.12": shown in summaries and in E_NO_CLONE. */
  framework: string
  /** The env var that holds a worker's slot (VITEST_POOL_ID, JEST_WORKER_ID). */
  workerIdVar: string
  log?: Logger
  runId?: string
}

export interface ProvisionSummary {
  runId: string
  server: string
  serverMs: number
  template: TemplateResult | null
  clones: number
  clonesMs: number
  strategy: string
  plan: Plan
  /** Filled in at teardown. */
  dropped?: number
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
  const server = await startServer(o.config.server, log)
  const serverMs = performance.now() - t0
  let info: ServerInfo
  let strategy: 'WAL_LOG' | 'FILE_COPY' | undefined
  let template: TemplateResult
  const password = safePassword(server.adminUrl)
  const clones: string[] = []
  let sweeping: Promise<unknown> = Promise.resolve()
  try {
    const admin = await connect(server.adminUrl, server.describe)
    try {
      info = await serverInfo(admin)
      requireCreateDb(info)
      if (server.kind === 'url') log.info(`${server.describe}: PostgreSQL ${info.major} (${Math.round(performance.now() - t0)} ms)`)
      // Off the critical path: dead runs' clones go while this run builds and clones.
      sweeping = sweep(server.adminUrl, { prefix: o.config.prefix, ttlMs: o.config.sweepTtlMs, keepRuns: [runId] })
        .then((dropped) => { if (dropped.length) log.info(`swept ${dropped.length} clone${dropped.length === 1 ? '' : 's'} left by dead runs`) })
        .catch((err) => log.warn(`sweep failed (harmless, retried next run): ${err.message}`))
      if (o.plan.count + 5 > info.maxConnections) {
        log.warn(`the server allows ${info.maxConnections} connections and this run has ${o.plan.count} workers; tests that open pools may hit "too many clients" (raise max_connections or lower maxWorkers)`)
      }
      const migrator = o.config.migrator ?? EMPTY
      const hash = templateHash({ migrator: await migrator.hashInputs(), serverMajor: info.major, key: o.config.key })
      template = await ensureTemplate({
        admin, adminUrl: server.adminUrl, prefix: o.config.prefix, hash, runId, migrator, log,
        envFor: (url) => envFor(o.config.env, url), secrets: password ? [password] : [],
      })
      const how = template.reused ? 'reused' : `built in ${Math.round(template.ms)} ms${template.migrationsRun !== undefined ? ` (${template.migrationsRun} migration${template.migrationsRun === 1 ? '' : 's'})` : ''}`
      log.info(`template ${hash.slice(0, 10)}: ${how}${template.reused ? '' : ` with ${migrator.describe}`}`)
      strategy = chooseStrategy(info, await databaseSize(admin, template.name), o.config.cloneStrategy)
    } finally {
      await admin.end().catch(() => {})
    }
  } catch (err) {
    await sweeping
    await server.stop().catch(() => {})
    throw err
  }

  const manifest: Manifest = {
    version: 1, runId, framework: o.framework, plan: o.plan, server: server.describe, env: o.config.env,
    workerIdVar: o.workerIdVar, template: { name: template.name, hash: template.hash, reused: template.reused }, clones: [],
  }
  const summary: ProvisionSummary = {
    runId, server: server.describe, serverMs, template, clones: 0, clonesMs: 0, strategy: strategy ?? 'default', plan: o.plan,
  }

  async function grow(plan: Plan): Promise<void> {
    const have = manifest.clones.length
    if (plan.count <= have) return
    const started = performance.now()
    const names = Array.from({ length: plan.count - have }, (_, i) => cloneName(o.config.prefix, runId, have + i + 1))
    clones.push(...names)
    log.info(`plan: ${plan.count} clone${plan.count === 1 ? '' : 's'} (${plan.reason})`)
    await createClones({
      adminUrl: server.adminUrl, template: template.name, names, runId, strategy,
      concurrency: Math.min(8, Math.max(2, info.maxConnections - 10)),
      onProgress: (done, total) => log.progress(`cloning ${done}/${total}`),
    })
    for (const [i, database] of names.entries()) {
      manifest.clones.push({ slot: have + i + 1, database, url: withDatabase(server.adminUrl, database) })
    }
    manifest.plan = plan
    writeManifest(manifestPath, manifest)
    summary.clones = manifest.clones.length
    summary.clonesMs += performance.now() - started
    summary.plan = plan
    log.info(`${names.length} clone${names.length === 1 ? '' : 's'} ready in ${ms(started)}${strategy ? ` (${strategy})` : ''}`)
  }

  let tornDown = false
  async function teardown(): Promise<void> {
    if (tornDown) return
    tornDown = true
    const started = performance.now()
    try {
      // A throwaway embedded server takes its databases with it: dropping them first would only cost time.
      const dropped = server.persistent ? await dropClones(server.adminUrl, clones, runId) : 0
      await sweeping
      summary.dropped = dropped
      summary.teardownMs = performance.now() - started
      if (dropped) log.info(`dropped ${dropped} clone${dropped === 1 ? '' : 's'} in ${ms(started)}; template kept for the next run`)
      else if (!server.persistent) log.info('stopped the embedded server; its data goes with it (WORKERDB_EMBEDDED_DATA_DIR keeps templates between runs)')
    } finally {
      removeManifest(manifestPath)
      if (process.env[MANIFEST_ENV] === manifestPath) delete process.env[MANIFEST_ENV]
      await server.stop()
      recordSummary(summary, log)
    }
  }

  try {
    writeManifest(manifestPath, manifest)
    // Set before the pool starts, so every worker process/thread inherits it.
    process.env[MANIFEST_ENV] = manifestPath
    await grow(o.plan)
  } catch (err) {
    await teardown().catch(() => {})
    throw err
  }
  recordSummary(summary, log)
  return { runId, manifest, manifestPath, summary, grow, teardown }
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

