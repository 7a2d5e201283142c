/**
 * One run's provisioning, start to end: server → template (built or reused) → clones → manifest, and
 * the teardown that undoes exactly what this run made. Framework packages call this from their runner
 * side; nothing here knows which framework it serves. The parts live beside it in engine/: start (server
 * and template), run (clones, spares, teardown), run-file (the manifest while the run lives).
 */
import type { ResolvedConfig } from '../config/options.js'
import { createLogger, type Logger } from '../log.js'
import { baseManifest, MANIFEST_ENV, manifestPathFor, type Manifest } from '../runfile/manifest.js'
import { newRunId } from '../catalog/names.js'
import type { Plan } from '../plan/plan.js'
import { Run } from './run.js'
import { RunFile } from './run-file.js'
import { startRun } from './start.js'
import { recordSummary, type ProvisionSummary } from './summary.js'

export { connectionWarning, CONNECTIONS_PER_WORKER } from './connections.js'
export type { ProvisionSummary } from './summary.js'

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

export async function provision(opts: ProvisionOptions): Promise<Provisioned> {
  const log = opts.log ?? createLogger({ silent: opts.config.silent })
  const runId = opts.runId ?? newRunId()
  const start = await startRun(opts, log, runId)
  const { server, template } = start
  const manifest: Manifest = {
    ...baseManifest({ runId, framework: opts.framework, plan: opts.plan, env: opts.config.env, workerIdVar: opts.workerIdVar }),
    server: server.describe, template: { name: template.name, hash: template.hash, reused: template.reused },
    ...(opts.detached ? { pid: undefined, detached: true } : {}),
  }
  const file = new RunFile(manifestPathFor(runId), manifest, server.adminUrl)
  const run = new Run(opts, start, file, log, runId)
  try {
    file.write()
    // Set before the pool starts, so every worker process/thread inherits it.
    if (!opts.detached) process.env[MANIFEST_ENV] = file.path
    await run.grow(opts.plan)
    await start.hold.release()
    run.startSweep()
    run.startSpares()
  } catch (err) {
    run.startSweep()
    await run.teardown().catch(() => {})
    throw err
  }
  recordSummary(run.summary, log)
  return { runId, manifest, manifestPath: file.path, summary: run.summary, grow: (plan) => run.grow(plan), teardown: () => run.teardown() }
}
