import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { main } from '../src/cli.js'
import { age, table } from '../src/cli/output.js'
import { makeMarker } from '../src/catalog/marker.js'
import { quoteIdent, quoteLiteral } from '../src/catalog/names.js'
import { databasesWithPrefix, dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'

const prefix = uniquePrefix('cli')
let cwd: string
const savedUrl = process.env.WORKERDB_URL

/** A pid that surely belongs to no running process: a child that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

async function createMarked(name: string, marker: object | null) {
  await withClient(testUrl(), async (c) => {
    await c.query(`create database ${quoteIdent(name)}`)
    if (marker) await c.query(`comment on database ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
  })
}

beforeAll(async () => {
  delete process.env.WORKERDB_URL
  cwd = mkdtempSync(join(tmpdir(), 'workerdb-cli-'))
  writeFileSync(join(cwd, 'workerdb.config.json'), JSON.stringify({ prefix, server: { url: testUrl() } }))
  await createMarked(`${prefix}_deadrun1_1`, makeMarker({ kind: 'clone', run: 'deadrun1', pid: deadPid() }))
  await createMarked(`${prefix}_liverun1_1`, makeMarker({ kind: 'clone', run: 'liverun1' }))
  await createMarked(`${prefix}_lookalike_1`, null)
})

afterAll(async () => {
  await dropPrefix(prefix)
  rmSync(cwd, { recursive: true, force: true })
  if (savedUrl !== undefined) process.env.WORKERDB_URL = savedUrl
})

describe('workerdb status', () => {
  test('lists clones with their run and whether the run is alive, and marks foreign databases as untouchable', async () => {
    const { code, text } = await main(['status'], cwd)
    expect(code).toBe(0)
    expect(text).toMatch(new RegExp(`${prefix}_deadrun1_1\\s+deadrun1\\s+\\S+:\\d+ dead \\(sweepable\\)`))
    expect(text).toMatch(new RegExp(`${prefix}_liverun1_1\\s+liverun1\\s+\\S+:${process.pid} alive`))
    expect(text).toMatch(new RegExp(`${prefix}_lookalike_1.*never touched`))
  })

  test('--json gives the same facts to machines', async () => {
    const { code, text } = await main(['status', '--json'], cwd)
    expect(code).toBe(0)
    const data = JSON.parse(text)
    const byName = Object.fromEntries(data.clones.map((c: { name: string }) => [c.name, c]))
    expect(byName[`${prefix}_deadrun1_1`].alive).toBe(false)
    expect(byName[`${prefix}_liverun1_1`].alive).toBe(true)
    expect(byName[`${prefix}_lookalike_1`].run).toBeNull()
    expect(data.prefix).toBe(prefix)
  })
})

describe('workerdb sweep', () => {
  test('--dry-run names what it would drop and drops nothing', async () => {
    const { code, text } = await main(['sweep', '--dry-run'], cwd)
    expect(code).toBe(0)
    expect(text).toContain(`would drop 1 database`)
    expect(text).toContain(`${prefix}_deadrun1_1`)
    expect((await databasesWithPrefix(prefix)).map((d) => d.name)).toContain(`${prefix}_deadrun1_1`)
  })

  test('drops only the dead run\'s clone: the live run and the look-alike stay', async () => {
    const { code } = await main(['sweep'], cwd)
    expect(code).toBe(0)
    expect((await databasesWithPrefix(prefix)).map((d) => d.name).sort()).toEqual([`${prefix}_liverun1_1`, `${prefix}_lookalike_1`])
  })

  test('without a server URL it says why there is nothing to sweep, and how to point it at one', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'workerdb-cli-bare-'))
    try {
      const { code, text } = await main(['sweep'], bare)
      expect(code).toBe(1)
      expect(text).toMatch(/^E_CONFIG: `workerdb sweep` needs a server that outlives this command/)
      expect(text).toContain('WORKERDB_URL')
    } finally {
      rmSync(bare, { recursive: true, force: true })
    }
  })
})

describe('workerdb doctor', () => {
  test('passes against a reachable server with CREATEDB', async () => {
    const { code, text } = await main(['doctor'], cwd)
    expect(text).toMatch(/✓ server: .*PostgreSQL \d+/)
    expect(text).toMatch(/✓ privileges: \S+ can create databases/)
    expect(code).toBe(0)
  })

  test('says whether the server waits for its disk (fsync), and how a test-only server stops waiting', async () => {
    const fsync = await withClient(testUrl(), async (c) => (await c.query("select current_setting('fsync') as fsync")).rows[0].fsync)
    const { code, text } = await main(['doctor'], cwd)
    if (fsync === 'on') {
      expect(text).toMatch(/! durability: fsync is on: every migration and every clone waits for the disk/)
      expect(text).toMatch(/→ For a server that only runs tests: .*-c fsync=off.*ALTER SYSTEM SET fsync = off.*pg_reload_conf\(\).*--tmpfs/)
    } else {
      expect(text).toMatch(/✓ durability: fsync off/)
    }
    // A hint, not a failure.
    expect(code).toBe(0)
  })

  test('fails on an unreachable server, with the fix, and prints no password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-cli-down-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ server: { url: 'postgresql://postgres:hunter2secret@127.0.0.1:1/postgres' } }))
      const { code, text } = await main(['doctor', '--json'], dir)
      expect(code).toBe(1)
      const data = JSON.parse(text)
      const server = data.checks.find((c: { check: string }) => c.check === 'server')
      expect(server.ok).toBe(false)
      expect(server.detail).toContain('E_SERVER_UNREACHABLE')
      expect(server.fix).toContain('WORKERDB_URL')
      expect(text).not.toContain('hunter2secret')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('says it cannot see options passed inline to workerDb({ … }) in vitest.config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-cli-inline-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ server: { url: testUrl() } }))
      writeFileSync(join(dir, 'vitest.config.ts'), "import { workerDb } from '@workerdb/vitest'\nexport default { plugins: [workerDb({ migrate: { sql: './db' } })] }\n")
      const { text } = await main(['doctor'], dir)
      expect(text).toMatch(/! config: .*workerdb\.config\.json; vitest\.config\.ts also passes options to workerDb\(\{ … \}\), which doctor cannot see/)
      writeFileSync(join(dir, 'vitest.config.ts'), "import { workerDb } from '@workerdb/vitest'\nexport default { plugins: [workerDb()] }\n")
      expect((await main(['doctor'], dir)).text).toMatch(/✓ config: /)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('reports an invalid config with the did-you-mean hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-cli-bad-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ migrat: { sql: './m' } }))
      const { code, text } = await main(['doctor'], dir)
      expect(code).toBe(1)
      expect(text).toContain('✗ config')
      expect(text).toContain('Did you mean "migrate"?')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('formatting', () => {
  test('age rounds to the largest sensible unit', () => {
    const now = Date.parse('2026-01-02T00:00:00Z')
    expect(age('2026-01-01T23:59:30Z', now)).toBe('30s')
    expect(age('2026-01-01T23:00:00Z', now)).toBe('60m')
    expect(age('2026-01-01T00:00:00Z', now)).toBe('24h')
    expect(age('2025-12-20T00:00:00Z', now)).toBe('13d')
  })

  test('table pads every column but the last to its widest cell', () => {
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', 'eeee']])).toEqual(['a    bb  c', 'ccc  d   eeee'])
  })

  test('unknown commands print usage and exit 2', async () => {
    const { code, text } = await main(['frobnicate'])
    expect(code).toBe(2)
    expect(text).toContain('usage: workerdb')
  })
})

describe('the installed bin', () => {
  test('runs as `workerdb` from the built package and exits with the command\'s code', () => {
    const bin = new URL('../dist/cli.js', import.meta.url).pathname
    const r = spawnSync(process.execPath, [bin, 'doctor'], { cwd, encoding: 'utf8', env: { ...process.env, WORKERDB_URL: '' } })
    expect(r.stdout).toMatch(/✓ server: .*PostgreSQL/)
    expect(r.status).toBe(0)
    const bad = spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' })
    expect(bad.status).toBe(2)
    expect(bad.stdout).toContain('usage: workerdb')
  })
})
