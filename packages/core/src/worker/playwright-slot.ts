/**
 * A Playwright worker's slot: its parallelIndex + 1 (plan/playwright.ts says why never its workerIndex),
 * exported in an env var of its own, since Playwright's TEST_PARALLEL_INDEX counts from 0.
 */
/** The env var a Playwright worker's slot is exported in (workerdb sets it from TEST_PARALLEL_INDEX). */
export const PLAYWRIGHT_SLOT_ENV = 'WORKERDB_PLAYWRIGHT_SLOT'

/** Pure: the slot (1-based) of a worker whose TEST_PARALLEL_INDEX is `parallelIndex`, or undefined. */
export function playwrightSlot(parallelIndex: string | undefined): string | undefined {
  const index = Number(parallelIndex)
  return parallelIndex !== undefined && parallelIndex !== '' && Number.isInteger(index) && index >= 0 ? String(index + 1) : undefined
}
