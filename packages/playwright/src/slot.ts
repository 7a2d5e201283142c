/**
 * A Playwright worker's slot — the worker id workerdb maps to a clone — and the mapping itself.
 *
 * The slot is parallelIndex + 1, never workerIndex: Playwright gives a worker that replaces a failed one
 * (or runs a retry, or the next project) a new, ever-growing workerIndex but a free parallelIndex in
 * [0, workers), and never gives one parallelIndex to two live workers. Playwright exports it as
 * TEST_PARALLEL_INDEX (from 0); workerdb exports the slot in an env var of its own.
 */
import { setupWorker } from '@workerdb/core/worker'

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
  setupWorker(into)
  return true
}
