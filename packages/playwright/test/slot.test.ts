/**
 * The Playwright worker's slot and the plan together: every parallelIndex Playwright can hand a worker has
 * its clone, and the NODE_OPTIONS that preloads the mapping into every worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { planPlaywright } from '../../core/src/plan/playwright.js'
import type { Manifest } from '../../core/src/runfile/manifest.js'
import { cloneFor, MANIFEST_ENV } from '../../core/src/worker.js'
import { withPreload } from '../src/runner/preload-option.js'
import { mapPlaywrightWorker, PLAYWRIGHT_SLOT_ENV, playwrightSlot } from '../src/slot.js'

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
        workerIdVar: PLAYWRIGHT_SLOT_ENV, template: null,
        clones: Array.from({ length: plan.count }, (_, i) => ({ slot: i + 1, database: `db_${i + 1}`, url: `postgresql://u@h/db_${i + 1}` })),
      }
      const databases = new Set<string>()
      for (let index = 0; index < workers; index++) databases.add(cloneFor(manifest, playwrightSlot(String(index))).database)
      expect(databases.size).toBe(workers)
      expect(() => cloneFor(manifest, playwrightSlot(String(workers)))).toThrow(expect.objectContaining({ code: 'E_NO_CLONE' }))
    }
  })
})

describe('mapPlaywrightWorker', () => {
  it('does nothing outside a Playwright worker', () => {
    const env: NodeJS.ProcessEnv = { DATABASE_URL: 'postgresql://shared/app' }
    expect(mapPlaywrightWorker(env)).toBe(false)
    expect(env).toEqual({ DATABASE_URL: 'postgresql://shared/app' })
  })

  it('in a worker of a run that provisioned nothing, fails with E_NO_MANIFEST instead of leaving the shared database', () => {
    expect(() => mapPlaywrightWorker({ TEST_PARALLEL_INDEX: '0', DATABASE_URL: 'postgresql://shared/app' }))
      .toThrow(expect.objectContaining({ code: 'E_NO_MANIFEST' }))
  })
})

describe('mapPlaywrightWorker beyond the plan', () => {
  it('fails with E_NO_CLONE in Playwright\'s words: the workers globalSetup planned for, and what to do in UI or watch mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-slot-'))
    try {
      const file = join(dir, 'manifest.json')
      writeFileSync(file, JSON.stringify({
        version: 1, runId: 'abcd1234', framework: 'playwright 1.65.2', plan: { count: 2, reason: 'playwright 1.65.2, workers 2' }, server: 'test',
        env: { DATABASE_URL: 'url' }, workerIdVar: PLAYWRIGHT_SLOT_ENV, template: null,
        clones: [1, 2].map((slot) => ({ slot, database: `db_${slot}`, url: `postgresql://u@h/db_${slot}` })),
      }))
      const env: NodeJS.ProcessEnv = { TEST_PARALLEL_INDEX: '3', [MANIFEST_ENV]: file }
      expect(() => mapPlaywrightWorker(env)).toThrow(expect.objectContaining({
        code: 'E_NO_CLONE', detail: expect.stringContaining('worker 4 has no database'), hint: expect.stringContaining('workers: 2. In UI or watch mode'),
      }))
      env.TEST_PARALLEL_INDEX = '1'
      expect(mapPlaywrightWorker(env)).toBe(true)
      expect(env.DATABASE_URL).toBe('postgresql://u@h/db_2')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('withPreload', () => {
  it('adds --require with the path quoted, after the options already there, once', () => {
    expect(withPreload(undefined, '/x/preload.js')).toBe('--require "/x/preload.js"')
    expect(withPreload('  ', '/x/preload.js')).toBe('--require "/x/preload.js"')
    const once = withPreload('--max-old-space-size=4096', '/my dir/pre"load.js')
    expect(once).toBe('--max-old-space-size=4096 --require "/my dir/pre\\"load.js"')
    expect(withPreload(once, '/my dir/pre"load.js')).toBe(once)
  })
})
