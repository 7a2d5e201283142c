/** How `npm test` reads skips: each skipped test with what its file lacked, and whether CI accepts it. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { explainSkips, lacks, readSkipRecords, SKIPS_ENV } from './skips.mjs'

const dir = mkdtempSync(join(tmpdir(), 'workerdb-skips-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const report = [
  { name: '/repo/a.test.ts', assertionResults: [{ status: 'passed', fullName: 'a runs' }, { status: 'skipped', fullName: 'a needs linux' }] },
  { name: '/repo/b.test.ts', assertionResults: [{ status: 'pending', fullName: 'b skipped for no reason' }, { status: 'failed', fullName: 'b fails' }] },
]

describe('explainSkips', () => {
  it('names what each skipped test lacked; CI accepts it only when all of that is declared absent', () => {
    const records = [{ file: '/repo/a.test.ts', capability: 'linux' }]
    expect(explainSkips(report, records, [])).toEqual([
      { file: '/repo/a.test.ts', test: 'a needs linux', capabilities: ['linux'], accepted: false },
      { file: '/repo/b.test.ts', test: 'b skipped for no reason', capabilities: [], accepted: false },
    ])
    expect(explainSkips(report, records, ['linux']).map((s) => s.accepted)).toEqual([true, false])
  })
})

describe('lacks', () => {
  it('records a skip only when the capability is missing, for the test file that asked', () => {
    const record = join(dir, 'skips.jsonl')
    const before = process.env[SKIPS_ENV]
    process.env[SKIPS_ENV] = record
    try {
      expect(lacks('trust auth', 'file:///repo/c.test.ts', false)).toBe(false)
      expect(lacks('trust auth', 'file:///repo/c.test.ts', true)).toBe(true)
    } finally {
      if (before === undefined) delete process.env[SKIPS_ENV]
      else process.env[SKIPS_ENV] = before
    }
    expect(readSkipRecords(record)).toEqual([{ file: '/repo/c.test.ts', capability: 'trust auth' }])
  })
})
