/**
 * A Playwright worker's slot — the worker id workerdb maps to a clone — and the mapping itself.
 *
 * The slot is parallelIndex + 1, never workerIndex: Playwright gives a worker that replaces a failed one
 * (or runs a retry, or the next project) a new, ever-growing workerIndex but a free parallelIndex in
 * [0, workers), and never gives one parallelIndex to two live workers. Playwright exports it as
 * TEST_PARALLEL_INDEX (from 0); workerdb exports the slot in an env var of its own.
 */
import { readManifest, setupWorker, WorkerDbError } from '@workerdb/core/worker'

/** The env var the slot is exported in: the manifest's workerIdVar for a Playwright run. */
export const PLAYWRIGHT_SLOT_ENV = 'WORKERDB_PLAYWRIGHT_SLOT'

/** Pure: the slot (1-based) of a worker whose TEST_PARALLEL_INDEX is `parallelIndex`, or undefined. */
export function playwrightSlot(parallelIndex: string | undefined): string | undefined {
  const index = Number(parallelIndex)
  return parallelIndex !== undefined && parallelIndex !== '' && Number.isInteger(index) && index >= 0 ? String(index + 1) : undefined
}

/**
 * In a Playwright worker (TEST_PARALLEL_INDEX in `from`): exports its slot and maps it to its clone
 * (DATABASE_URL & co.) into `into`, or throws E_NO_CLONE / E_NO_MANIFEST saying why. Elsewhere: does
 * nothing, returns false.
 */
export function mapPlaywrightWorker(from: NodeJS.ProcessEnv, into: NodeJS.ProcessEnv = from): boolean {
  const slot = playwrightSlot(from.TEST_PARALLEL_INDEX)
  if (slot === undefined) return false
  into[PLAYWRIGHT_SLOT_ENV] = slot
  try {
    setupWorker(into)
  } catch (err) {
    if (!(err instanceof WorkerDbError) || err.code !== 'E_NO_CLONE') throw err
    throw new WorkerDbError('E_NO_CLONE', err.detail, noCloneHint(readManifest(into).clones.length), { cause: err })
  }
  return true
}

/**
 * Playwright's own words for a worker beyond the plan. globalSetup sized the clones from `workers` when it
 * ran; UI and watch mode run it once, then may run tests with another worker count.
 */
function noCloneHint(clones: number): string {
  return `This run's globalSetup made ${clones} ${clones === 1 ? 'clone' : 'clones'} for workers: ${clones}. In UI or watch mode, `
    + 'restart it after changing workers (its globalSetup runs once, when the mode starts); otherwise report this with the lines above.'
}
