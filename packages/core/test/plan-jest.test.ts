/**
 * planJest: every rule, then the one law checked against an independent model of Jest's scheduler
 * (`shouldRunInBand` from @jest/core, jest-runner's pLimit(maxWorkers), jest-worker's round-robin farm),
 * written from their source rather than from planJest.
 */
import { describe, expect, it } from 'vitest'
import { planJest, type JestFacts } from '../src/plan/jest.js'
import { rng } from './helpers.js'

function facts(o: Partial<JestFacts> = {}): JestFacts {
  return { major: 29, maxWorkers: 4, files: 2, runInBand: false, sequencerRan: true, ...o }
}

describe('planJest — not in band: min(maxWorkers, files)', () => {
  it('the seed scenario: 2 files, maxWorkers 4 → 2 clones (only ids 1..2 can get a file)', () => {
    expect(planJest(facts({ files: 2, maxWorkers: 4 }))).toEqual({ count: 2, reason: 'jest 29, maxWorkers 4, 2 test files' })
  })

  it('caps at maxWorkers when there are more files', () => {
    expect(planJest(facts({ files: 7, maxWorkers: 4 })).count).toBe(4)
    expect(planJest(facts({ files: 20, maxWorkers: 4 })).count).toBe(4)
    expect(planJest(facts({ files: 4, maxWorkers: 4 })).count).toBe(4)
    expect(planJest(facts({ files: 3, maxWorkers: 4 })).count).toBe(3)
  })

  it('one file → 1 (Jest runs a single file in band, id 1)', () => {
    expect(planJest(facts({ files: 1, maxWorkers: 8 })).count).toBe(1)
  })

  it('no files → no clones (Jest never reaches globalSetup then, but the plan stays honest)', () => {
    expect(planJest(facts({ files: 0 }))).toEqual({ count: 0, reason: 'jest 29, maxWorkers 4, 0 test files' })
  })

  it('maxWorkers 1 (what Jest 29 makes of -i) → 1', () => {
    expect(planJest(facts({ files: 10, maxWorkers: 1 }))).toEqual({ count: 1, reason: 'jest 29, maxWorkers 1, 10 test files' })
  })

  it('treats a missing or nonsensical maxWorkers as 1 (Jest normalizes it to ≥ 1)', () => {
    expect(planJest(facts({ files: 5, maxWorkers: 0 })).count).toBe(1)
    expect(planJest(facts({ files: 5, maxWorkers: Number.NaN })).count).toBe(1)
    expect(planJest(facts({ files: 5, maxWorkers: 2.7 })).count).toBe(2)
  })
})

describe('planJest — in band by flag: 1', () => {
  it('--runInBand', () => {
    expect(planJest(facts({ files: 10, maxWorkers: 4, runInBand: true }))).toEqual({ count: 1, reason: 'jest 29, in band (--runInBand), 10 test files' })
  })

  it('--detectOpenHandles implies in band', () => {
    expect(planJest(facts({ major: 30, files: 10, detectOpenHandles: true }))).toEqual({ count: 1, reason: 'jest 30, in band (--detectOpenHandles), 10 test files' })
  })

  it('in band even when the sequencer did not run (the count is unknown, the process is not)', () => {
    expect(planJest(facts({ runInBand: true, sequencerRan: false })).count).toBe(1)
  })

  it('no files is still 0', () => {
    expect(planJest(facts({ files: 0, runInBand: true })).count).toBe(0)
  })
})

describe('planJest — the sequencer did not run: maxWorkers', () => {
  it('every id Jest may fork gets a clone, whatever `files` says', () => {
    const plan = planJest(facts({ files: 2, maxWorkers: 6, sequencerRan: false }))
    expect(plan.count).toBe(6)
    expect(plan.reason).toBe("jest 29, maxWorkers 6, test files not counted (workerdb's sequencer did not run)")
    expect(planJest(facts({ files: 0, maxWorkers: 3, sequencerRan: false })).count).toBe(3)
  })
})

describe('planJest — facts that change the reason, not the count', () => {
  it('watch: globalSetup runs again before every rerun, on a fresh pool', () => {
    const plan = planJest(facts({ files: 2, maxWorkers: 4, watch: true }))
    expect(plan).toEqual({ count: 2, reason: 'jest 29, maxWorkers 4, 2 test files, watch' })
  })

  it('workerIdleMemoryLimit: recycled workers keep their id', () => {
    expect(planJest(facts({ files: 6, maxWorkers: 2, workerIdleMemoryLimit: '512MB' }))).toEqual({ count: 2, reason: 'jest 29, maxWorkers 2, 6 test files, workerIdleMemoryLimit 512MB' })
    expect(planJest(facts({ files: 1, maxWorkers: 3, workerIdleMemoryLimit: 1000 })).count).toBe(1)
    expect(planJest(facts({ workerIdleMemoryLimit: null })).reason).not.toContain('workerIdleMemoryLimit')
  })

  it('says "1 test file" in the singular', () => {
    expect(planJest(facts({ files: 1 })).reason).toMatch(/\b1 test file$/)
  })
})

// ---------------------------------------------------------------------------------------------------
// The model: which JEST_WORKER_IDs a real run can use
// ---------------------------------------------------------------------------------------------------

interface RunShape {
  files: number
  maxWorkers: number
  runInBand: boolean
  detectOpenHandles: boolean
  watch: boolean
  workerIdleMemoryLimit: number | undefined
  /** Durations in the timing cache (empty: cold). */
  timings: number[]
  /** The runner of some project is serial (isSerial): that runner's files run in band. */
  serialRunner: boolean
}

/** @jest/core testSchedulerHelper.shouldRunInBand (29.7 and 30.x are the same rule). */
function shouldRunInBand(s: RunShape): boolean {
  if (s.runInBand || s.detectOpenHandles) return true
  if (s.watch) return false
  const fast = s.timings.every((t) => t < 1000)
  return s.workerIdleMemoryLimit === undefined &&
    (s.maxWorkers <= 1 || s.files <= 1 || (s.files <= 20 && s.timings.length > 0 && fast))
}

/**
 * jest-runner: at most maxWorkers files in flight (pLimit); jest-worker Farm with maxWorkers workers:
 * each push enqueues and offers the queue to workers starting at an offset that grows by one per push,
 * skipping busy workers; a worker that finishes takes the next queued task. Durations are random.
 */
function idsUsed(s: RunShape, r: () => number): Set<number> {
  if (s.files === 0) return new Set()
  if (shouldRunInBand(s) || s.serialRunner) return new Set([1])
  const n = s.maxWorkers
  const busyUntil: number[] = Array(n).fill(-1)
  const queue: number[] = []
  const used = new Set<number>()
  let offset = 0
  let now = 0
  let pushed = 0
  let inFlight = 0
  const running: Array<{ worker: number; end: number }> = []
  const process = (w: number) => {
    if (busyUntil[w]! > now || queue.length === 0) return
    queue.shift()
    const end = now + 1 + Math.floor(r() * 50)
    busyUntil[w] = end
    running.push({ worker: w, end })
    used.add(w + 1)
  }
  const push = () => {
    queue.push(pushed++)
    inFlight++
    const start = offset++
    for (let i = 0; i < n && queue.length; i++) process((start + i) % n)
  }
  while (pushed < s.files && inFlight < s.maxWorkers) push()
  while (running.length) {
    running.sort((a, b) => a.end - b.end)
    const done = running.shift()!
    now = done.end
    busyUntil[done.worker] = now
    inFlight--
    process(done.worker)
    if (pushed < s.files) push()
  }
  return used
}

describe('the one law: never fewer clones than worker ids that can run (model of Jest\'s scheduler)', () => {
  it('the model reproduces the measured facts', () => {
    const r = rng(7)
    const cold = (files: number, maxWorkers: number): RunShape =>
      ({ files, maxWorkers, runInBand: false, detectOpenHandles: false, watch: false, workerIdleMemoryLimit: undefined, timings: [], serialRunner: false })
    // 2 files, 4 workers: ids 1 and 2, never 3 or 4.
    for (let i = 0; i < 50; i++) expect([...idsUsed(cold(2, 4), r)].sort()).toEqual([1, 2])
    // More files than workers: every id, none beyond maxWorkers.
    expect([...idsUsed(cold(20, 4), r)].sort()).toEqual([1, 2, 3, 4])
    // One file: in band.
    expect([...idsUsed(cold(1, 4), r)]).toEqual([1])
    // A warm, fast timing cache flips ≤ 20 files to in band.
    expect([...idsUsed({ ...cold(5, 4), timings: [10, 20, 30, 40, 50] }, r)]).toEqual([1])
  })

  it('holds for every small configuration, cold and warm, with and without the sequencer', () => {
    const r = rng(20240611)
    let checked = 0
    for (const files of [0, 1, 2, 3, 4, 5, 7, 8, 12, 20, 21, 40]) {
      for (const maxWorkers of [1, 2, 3, 4, 6, 8]) {
        for (const runInBand of [false, true]) {
          for (const detectOpenHandles of [false, true]) {
            for (const watch of [false, true]) {
              for (const workerIdleMemoryLimit of [undefined, 1000]) {
                for (const timings of [[], Array(files).fill(100), Array(files).fill(5000)]) {
                  for (const serialRunner of [false, true]) {
                    for (const sequencerRan of [true, false]) {
                      const shape: RunShape = { files, maxWorkers: runInBand ? 1 : maxWorkers, runInBand, detectOpenHandles, watch, workerIdleMemoryLimit, timings, serialRunner }
                      const plan = planJest({ major: 29, files, maxWorkers: shape.maxWorkers, runInBand, detectOpenHandles, watch, workerIdleMemoryLimit, sequencerRan })
                      const ctx = JSON.stringify({ ...shape, sequencerRan, plan })
                      for (let k = 0; k < 3; k++) {
                        const used = idsUsed(shape, r)
                        const top = Math.max(0, ...used)
                        expect(plan.count, ctx).toBeGreaterThanOrEqual(top)
                      }
                      // …and never more than the pool can ever hold.
                      expect(plan.count, ctx).toBeLessThanOrEqual(Math.max(1, shape.maxWorkers))
                      if (sequencerRan && files > 0 && !runInBand && !detectOpenHandles) expect(plan.count, ctx).toBe(Math.min(files, shape.maxWorkers))
                      checked++
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000)
  })
})
