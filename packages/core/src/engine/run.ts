/**
 * One provisioned run, from its first clones to its teardown: growing (watch reruns that need more
 * workers), spares made while the tests run, the check that the tests used their clones, and the
 * teardown that undoes exactly what this run made.
 */
import { dropInBackground } from '../cleanup/background-drop.js'
import { cloneUse, readOwnSessions, readSessions, UNUSED_CLONES_HINT, unusedClonesMessage } from '../runfile/clone-use.js'
import { createClones, dropClones, durabilityHint } from './clones.js'
import { connect, driverPath, ownSessions } from '../catalog/postgres/db.js'
import { deferredStart, WORKERS_BOOT_MS } from './deferred-start.js'
import { WorkerDbError } from '../errors.js'
import { planReset, type ManifestReset, type ResetPer } from '../isolation/reset-plan.js'
import type { AdminSession, CloneRoles, Dialect } from '../catalog/dialect.js'
import { ms, plural, type Logger } from '../log.js'
import { MANIFEST_ENV, removeManifest } from '../runfile/manifest.js'
import { cloneName } from '../catalog/names.js'
import type { Plan } from '../plan/plan.js'
import type { ProvisionOptions } from './provision.js'
import { claimSpares, makeSpares, type SpareJob, type SpareMaker } from './spares.js'
import { connectionParts, redactText } from '../url.js'
import type { RunFile } from './run-file.js'
import type { RunStart } from './start.js'
import { recordSummary, type ProvisionSummary } from './summary.js'
import { sweepDeadRuns } from '../cleanup/dead-runs.js'

export class Run {
  readonly summary: ProvisionSummary
  /** Every clone this run made or took, in slot order: teardown drops exactly these. */
  private readonly clones: string[] = []
  /** What every clone's marker says beyond its run: its project, and whether a process owns it. */
  private readonly cloneMarker: { project: string; detached?: boolean }
  /** The sweep and the spare copies start once the workers have booted (see deferred-start.ts). */
  private readonly background: ReturnType<typeof deferredStart>
  private resetPlanned = false
  private durabilityHintShown = false
  private spareMaker: SpareMaker | undefined
  private spareJob: SpareJob | undefined
  private sweeping: Promise<unknown> | undefined
  private tornDown = false

  constructor(
    private readonly opts: ProvisionOptions,
    private readonly start: RunStart,
    private readonly file: RunFile,
    private readonly log: Logger,
    readonly runId: string,
  ) {
    const { server, serverMs, template, copyPlan } = start
    this.summary = { runId, server: server.describe, serverMs, template, clones: 0, clonesMs: 0, strategy: copyPlan.label ?? 'default', plan: opts.plan }
    this.cloneMarker = { project: opts.config.project, ...(opts.detached ? { detached: true } : {}) }
    // `workerdb provision` has no workers to wait for.
    this.background = deferredStart(opts.detached ? 0 : WORKERS_BOOT_MS)
  }

  private get manifest() {
    return this.file.manifest
  }

  /** Makes clones for slots up to `plan.count`; the first call makes the run's first clones. */
  async grow(plan: Plan): Promise<void> {
    const { config } = this.opts
    const { server, dialect, template, copyPlan, lanes, facts, hold } = this.start
    const have = this.manifest.clones.length
    if (plan.count <= have) return
    const started = performance.now()
    const names = Array.from({ length: plan.count - have }, (_, i) => cloneName(config.prefix, this.runId, have + i + 1))
    this.clones.push(...names)
    this.log.info(`plan: ${plural(plan.count, 'clone')} (${plan.reason})`)
    // Named before anything is made, spares' takes included: a take, too, may create a database and be
    // killed before its marker is written (MySQL marks a database in a statement of its own).
    this.file.markCreating(names)
    const renamed = this.start.spares ? await this.takeSpares(names) : []
    const copies = names.filter((n) => !renamed.includes(n))
    await createClones({
      adminUrl: server.adminUrl, template: template.name, names: copies, runId: this.runId, plan: copyPlan, marker: this.cloneMarker,
      concurrency: lanes, first: hold.admin,
      onProgress: (done, total) => this.log.progress(`cloning ${done}/${total}`),
    })
    const made = names.map((database) => ({ database, url: dialect.databaseUrl(server.adminUrl, database) }))
    // Per-worker roles, once their clones exist (made or taken from spares): marked, so teardown and the
    // sweep drop them with their clone. (startRun refuses `roles` on a kind without them.)
    const roles = config.roles.length ? await this.createRoles(made) : new Map()
    for (const [i, clone] of made.entries()) {
      const own = roles.get(clone.database)
      this.manifest.clones.push({ slot: have + i + 1, ...clone, ...(own ? { roles: own } : {}) })
    }
    // Read from the first clone: the template itself is sealed against connections, and a clone's
    // catalog is the template's. Before the manifest is written, so no worker ever sees a run without it.
    if (config.reset && !this.resetPlanned && this.manifest.clones[0]) {
      this.manifest.reset = await planResetFor(dialect, this.manifest.clones[0].url, config.reset, await config.migrator?.ledgerTables?.(dialect.name))
      this.resetPlanned = true
      const n = this.manifest.reset?.refs.length ?? 0
      const when = config.reset.per === 'test' ? 'before every test file and every test' : 'before every test file'
      this.log.info(`reset: ${n ? `${plural(n, 'table')} emptied ${when}` : 'no tables to empty'}`)
    }
    this.manifest.plan = plan
    this.file.doneCreating(names, { ready: true })
    const summary = this.summary
    summary.clones = this.manifest.clones.length
    summary.clonesMs += performance.now() - started
    summary.plan = plan
    summary.fromSpares = (summary.fromSpares ?? 0) + renamed.length
    const roleKeys = config.roles.map((r) => r.key)
    const how = [
      renamed.length ? `${renamed.length} from spares` : '', renamed.length < names.length ? copyPlan.label : '',
      roleKeys.length ? `per-worker role${roleKeys.length === 1 ? '' : 's'} ${roleKeys.join(', ')}` : '',
    ].filter(Boolean).join(', ')
    this.log.info(`${plural(names.length, 'clone')} ready in ${ms(started)}${how ? ` (${how})` : ''}`)
    // Once per run: a watch rerun's few new clones need not repeat it.
    // PostgreSQL's: `workerdb doctor` names its settings (fsync off), and only its copies are cheap without them.
    const hint = this.durabilityHintShown || dialect.name !== 'postgres' ? undefined : durabilityHint({ fsync: facts.durable, copies: copies.length, copyMs: performance.now() - started })
    if (hint) {
      this.durabilityHintShown = true
      this.log.info(hint)
    }
  }

  /** `fn` on the admin session that holds the template while it does (the first clones), else on one of its own. */
  private async onAdmin<T>(fn: (admin: AdminSession) => Promise<T>): Promise<T> {
    const { server, dialect, hold } = this.start
    const admin = hold.admin ?? await dialect.connect(server.adminUrl)
    try {
      return await fn(admin)
    } finally {
      if (admin !== hold.admin) await admin.close()
    }
  }

  private createRoles(clones: Array<{ database: string; url: string }>): Promise<Map<string, CloneRoles>> {
    return this.onAdmin((admin) => admin.roles!.create(clones, this.opts.config.roles, { runId: this.runId, marker: this.cloneMarker, concurrency: this.start.lanes }))
  }

  /** Best effort: a failed claim (or no session to claim on) only means copying instead. */
  private async takeSpares(names: string[]): Promise<string[]> {
    const { template } = this.start
    try {
      const { filled, failed } = await this.onAdmin((admin) => claimSpares(admin, { template: template.name, prefix: this.opts.config.prefix, hash: template.hash, names, runId: this.runId, marker: this.cloneMarker }))
      if (failed.length) this.log.warn(`could not take ${plural(failed.length, 'spare clone')} (copied instead): ${redactText(failed.join('; '))}`)
      return filled
    } catch (err) {
      this.log.warn(`could not take spare clones (copying instead): ${redactText((err as Error).message)}`)
      return []
    }
  }

  /** While the tests run, copies for the next run, which then starts by taking them (see spares.ts). */
  startSpares(): void {
    const { config, detached } = this.opts
    const { server, template, copyPlan } = this.start
    // A throwaway server takes spares with it; `workerdb provision` exits before they could be made.
    if (!this.start.spares || !server.persistent || detached) return
    this.spareJob = {
      adminUrl: server.adminUrl, template: template.name, prefix: config.prefix, hash: template.hash, runId: this.runId, project: config.project,
      plan: copyPlan,
      target: config.spares === 'plan' ? this.manifest.clones.length : config.spares,
    }
    this.spareMaker = makeSpares({
      ...this.spareJob,
      onError: (err) => this.log.warn(`making spare clones failed (harmless; the next run copies instead): ${redactText(err.message)}`),
      markCreating: (name, on) => (on ? this.file.markCreating([name]) : this.file.doneCreating([name])),
      startAfter: this.background.ready,
    })
  }

  /**
   * Off the critical path: dead runs' clones (and manifests, and templates beyond the newest few) go once
   * this run's clones exist (or failed to) and its workers have booted.
   */
  startSweep(): void {
    this.sweeping ??= this.background.ready.then(() => sweepDeadRuns(this.start.server.adminUrl, this.opts.config, this.runId, this.start.template.hash, this.log))
  }

  /**
   * Before the drops: warns when the tests went around their clones, or with unusedClones: 'error' returns
   * the error for teardown to throw once everything is cleaned up.
   */
  private async checkCloneUse(): Promise<WorkerDbError | undefined> {
    const { server, facts, sessions } = this.start
    const { config } = this.opts
    if (!sessions || !this.clones.length) return undefined
    const client = await connect(server.adminUrl, server.describe).catch(() => undefined)
    if (!client) return undefined
    let after: Map<string, number> | undefined
    try {
      after = await readSessions(client, facts)
    } finally {
      await client.end().catch(() => {})
    }
    if (!after) return undefined
    const own = new Map<string, number>()
    for (const [name, n] of ownSessions()) own.set(name, n - (sessions.ownBefore.get(name) ?? 0))
    for (const [name, n] of readOwnSessions(this.file.path)) own.set(name, (own.get(name) ?? 0) + n)
    // The admin database is every workerdb run's (and any tool's) way in: its sessions say nothing about the tests.
    const adminDatabase = connectionParts(server.adminUrl).database
    this.summary.cloneUse = cloneUse({ clones: this.clones, before: sessions.before, after, own, ours: (name) => name === adminDatabase || name.startsWith(`${config.prefix}_`) })
    const message = unusedClonesMessage(this.summary.cloneUse, Object.keys(config.env))
    if (!message) return undefined
    if (config.unusedClones === 'error') return new WorkerDbError('E_CLONES_UNUSED', message, UNUSED_CLONES_HINT)
    this.log.warn(`${message}\n  → ${UNUSED_CLONES_HINT} To fail such a run (in CI), set unusedClones: 'error'.`)
    return undefined
  }

  /** Drops this run's clones, stops a server workerdb started, removes the manifest. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return
    this.tornDown = true
    const { server, hold } = this.start
    const { summary, log, clones } = this
    const started = performance.now()
    this.background.now()
    let unused: WorkerDbError | undefined
    try {
      // Handed to a background process with the drops, the spares not yet made never delay the run's end.
      const handOff = server.persistent && this.opts.dropInBackground && server.kind === 'url' && clones.length > 0
      const spares = handOff ? await this.spareMaker?.stop() : await this.spareMaker?.done()
      if (spares) {
        summary.sparesMade = spares
        log.info(`made ${plural(spares, 'spare clone')} while the tests ran, for the next run to take`)
      }
      unused = await this.checkCloneUse()
      // A throwaway embedded server takes its databases with it: dropping them first would only cost time.
      let dropped = 0
      if (handOff) {
        summary.dropperPid = dropInBackground({ adminUrl: server.adminUrl, names: clones, runId: this.runId, spares: this.spareJob })
      } else if (server.persistent) {
        dropped = await dropClones(server.adminUrl, clones, this.runId, 4, (line) => log.warn(line))
      }
      await this.sweeping
      summary.dropped = dropped
      summary.teardownMs = performance.now() - started
      if (summary.dropperPid) log.info(`dropping ${plural(clones.length, 'clone')} in the background (pid ${summary.dropperPid}); template kept for the next run`)
      else if (dropped) log.info(`dropped ${plural(dropped, 'clone')} in ${ms(started)}; template kept for the next run`)
      else if (!server.persistent) {
        log.info(server.kind === 'testcontainers'
          ? 'removed the container; its data goes with it (testcontainers: { reuse: true } keeps templates between runs)'
          : 'stopped the embedded server; its data goes with it (WORKERDB_EMBEDDED_DATA_DIR keeps templates between runs)')
      }
    } finally {
      await hold.release()
      removeManifest(this.file.path)
      if (process.env[MANIFEST_ENV] === this.file.path) delete process.env[MANIFEST_ENV]
      await server.stop()
      recordSummary(summary, log)
    }
    if (unused) throw unused
  }
}

async function planResetFor(dialect: Dialect, url: string, opts: { keep: string[]; per: ResetPer }, ledger: readonly string[] | undefined): Promise<ManifestReset | undefined> {
  const reset = planReset(await dialect.readResetCatalog(url), { keep: opts.keep, per: opts.per, ledger, kind: dialect.name })
  // Workers load the pg the runner resolved; the other kinds' drivers resolve from the project.
  return reset && (dialect.name === 'postgres' ? { ...reset, driver: driverPath() } : reset)
}
