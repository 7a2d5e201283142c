/**
 * planPlaywright and the worker's slot: a clone per configured worker, the slot from parallelIndex (which a
 * replaced worker inherits), so every parallelIndex Playwright can hand out has its clone.
 */
import { describe, expect, it } from 'vitest'
import { planPlaywright } from '../src/plan/playwright.js'
import { cloneFor, playwrightSlot } from '../src/worker.js'
import type { Manifest } from '../src/runfile/manifest.js'

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

describe('playwrightSlot', () => {
  it('is parallelIndex + 1', () => {
    expect(playwrightSlot('0')).toBe('1')
    expect(playwrightSlot('3')).toBe('4')
  })

  it('is undefined outside a Playwright worker or for an index that is not one', () => {
    for (const raw of [undefined, '', '-1', '1.5', 'x']) expect(playwrightSlot(raw), String(raw)).toBeUndefined()
  })
})

describe('the law: every parallelIndex Playwright can give a worker has a clone', () => {
  it('for 1..16 workers, indexes 0..workers-1 map to distinct clones; index workers has none (E_NO_CLONE)', () => {
    for (let workers = 1; workers <= 16; workers++) {
      const plan = planPlaywright({ version: '1.65.2', workers })
      const manifest: Manifest = {
        version: 1, runId: 'abcd1234', framework: 'playwright 1.65.2', plan, server: 'test', env: { DATABASE_URL: 'url' },
        workerIdVar: 'WORKERDB_PLAYWRIGHT_SLOT', template: null,
        clones: Array.from({ length: plan.count }, (_, i) => ({ slot: i + 1, database: `db_${i + 1}`, url: `postgresql://u@h/db_${i + 1}` })),
      }
      const databases = new Set<string>()
      for (let index = 0; index < workers; index++) databases.add(cloneFor(manifest, playwrightSlot(String(index))).database)
      expect(databases.size).toBe(workers)
      expect(() => cloneFor(manifest, playwrightSlot(String(workers)))).toThrow(expect.objectContaining({ code: 'E_NO_CLONE' }))
    }
  })
})
