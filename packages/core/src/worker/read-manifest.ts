/**
 * Reading the run's manifest from a test process: at once when it is ready, or waiting while the runner
 * provisions; a failed run's manifest throws that run's error here, in every worker, with its hint.
 */
import { WorkerDbError } from '../errors.js'
import { loadManifest, MANIFEST_ENV, type Manifest } from '../runfile/manifest.js'
import { ownerAlive } from '../runfile/liveness.js'

export function readManifest(env: NodeJS.ProcessEnv = process.env): Manifest {
  const path = env[MANIFEST_ENV]
  if (!path) {
    throw new WorkerDbError('E_NO_MANIFEST', `the workerdb setup file ran, but this run provisioned no databases (${MANIFEST_ENV} is not set)`,
      'Add workerdb to the runner, not only its setup file: `plugins: [workerDb()]` in vitest.config, or `preset: \'@workerdb/jest\'` in jest.config.')
  }
  let manifest: Manifest
  try {
    manifest = loadManifest(path)
  } catch (err) {
    throw new WorkerDbError('E_NO_MANIFEST', `cannot read the workerdb manifest ${path}: ${(err as Error).message}`,
      'The run that provisioned it has ended or crashed; run the tests again.', { cause: err })
  }
  return usableManifest(manifest)
}

/** A manifest whose clones exist: a failed run throws its own error, a pending one says so. */
export function usableManifest(manifest: Manifest): Manifest {
  if (manifest.failed) throw new WorkerDbError(manifest.failed.code, manifest.failed.detail, manifest.failed.hint)
  if (manifest.pending) {
    throw new WorkerDbError('E_NO_MANIFEST', `run ${manifest.runId} is still provisioning its databases`,
      'Read the database from tests or setup files listed after workerdb\'s: its setup file waits until the clones exist.')
  }
  return manifest
}

/**
 * The manifest when a test file can be mapped at once: there, provisioned, not failed, nothing to reset.
 * Otherwise undefined, and waitForManifest and resetWorkerDatabase have work to do. Apart from them so that
 * a setup file can leave their code unloaded in that common case (it loads in every test file's process).
 */
export function readyManifest(env: NodeJS.ProcessEnv = process.env): Manifest | undefined {
  const path = env[MANIFEST_ENV]
  if (!path) return undefined
  try {
    const manifest = loadManifest(path)
    return manifest.pending || manifest.failed || manifest.reset ? undefined : manifest
  } catch {
    return undefined
  }
}

/** How long a worker that saw "pending" waits for a manifest that went missing: the runner rewrites a failed run's. */
const VANISHED_GRACE_MS = 2_000

/**
 * Vitest starts its pool while the runner provisions (the manifest says `pending`): resolves once this
 * run's clones exist, with the manifest it read last: hand that to setupWorker and resetWorkerDatabase, so
 * a test file reads it once (setup files run for every test file). Undefined when there is no manifest to
 * wait for (readManifest explains). Gives up only when the runner process is gone.
 */
export async function waitForManifest(env: NodeJS.ProcessEnv = process.env, pollMs = 5): Promise<Manifest | undefined> {
  const path = env[MANIFEST_ENV]
  if (!path) return undefined
  let sawPending = false
  let vanishedAt: number | undefined
  for (;;) {
    let manifest: Manifest | undefined
    try {
      manifest = loadManifest(path)
    } catch {
      // Missing before we saw it pending: readManifest() explains. After: the failure is being written.
      if (!sawPending) return undefined
      vanishedAt ??= Date.now()
      if (Date.now() - vanishedAt > VANISHED_GRACE_MS) return undefined
    }
    if (manifest) {
      if (!manifest.pending) return manifest
      sawPending = true
      vanishedAt = undefined
      const { pid, host, createdAt, startTicks } = manifest
      if (pid && host && ownerAlive({ pid, host, createdAt, startTicks }) === false) {
        throw new WorkerDbError('E_NO_MANIFEST', `the runner of run ${manifest.runId} (pid ${manifest.pid}) ended while it was provisioning`,
          'Run the tests again; the next run sweeps what it left.')
      }
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
