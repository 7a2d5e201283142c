/**
 * How much of the e2e suite a run takes on: the one place that decides it.
 *
 * `npm test` (what CI runs) must stay well inside its 15-minute budget on a 2-core machine, so it runs every
 * behaviour once on the newest major of each framework (Vitest 4 and 5, Jest 30, Playwright 1.65), plus what
 * an older major does differently (Vitest 3 sizes its clones to the pool; Jest 29's in-band flags and its
 * --bail without globalTeardown, in the chaos suite; Playwright 1.60's seed run), and each seed loop once.
 * `E2E_FULL=1` (`npm run test:full`) runs every scenario on every major too, and each seed loop
 * E2E_SEED_RUNS times (default 3). Hundreds of runs of a scenario: `pnpm stress`.
 */
import { test } from 'vitest'

export const FULL = process.env.E2E_FULL === '1'

/** How many times a seed scenario runs in one test. */
export const SEED_RUNS = Number(process.env.E2E_SEED_RUNS ?? (FULL ? 3 : 1))

/** The cases (majors, flags) a scenario runs on: `all` in a full run, else those `inCi` keeps. */
export function tier<T>(all: readonly T[], inCi: (item: T) => boolean): T[] {
  return FULL ? [...all] : all.filter(inCi)
}

// A case the tier leaves out is not defined at all, never skipped: under CI, `npm test` counts a skip it
// cannot explain as a failure.
const none = Object.assign(() => {}, { each: () => () => {} }) as unknown as typeof test

/** `test` when the case is in this run (always in a full run), else nothing. */
export function testIf(inCi: boolean): typeof test {
  return FULL || inCi ? test : none
}
