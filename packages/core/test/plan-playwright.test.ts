/**
 * planPlaywright: a clone per configured worker (the worker's slot and the law that every parallelIndex has
 * a clone: packages/playwright/test/slot.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { planPlaywright } from '../src/plan/playwright.js'

describe('planPlaywright', () => {
  it('plans config.workers clones and says why', () => {
    expect(planPlaywright({ version: '1.65.2', workers: 4 })).toEqual({ count: 4, reason: 'playwright 1.65.2, workers 4' })
  })

  it('names the shard, whose indexes are the same as an unsharded run\'s', () => {
    expect(planPlaywright({ version: '1.60.0', workers: 2, shard: { current: 1, total: 2 } }))
      .toEqual({ count: 2, reason: 'playwright 1.60.0, workers 2, shard 1/2' })
  })

  it('treats a missing or nonsensical worker count as 1 (Playwright resolves it to ≥ 1 before globalSetup)', () => {
    expect(planPlaywright({ version: '1.65.2', workers: 0 }).count).toBe(1)
    expect(planPlaywright({ version: '1.65.2', workers: Number.NaN }).count).toBe(1)
  })
})
