/**
 * A server URL of a database kind workerdb does not serve yet is refused up front, with an error that says so
 * — never a PostgreSQL connection attempt to a MySQL port, nor "not a postgresql:// URL" alone.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startServer } from '../src/server/index.js'
import { createLogger } from '../src/log.js'
import { main } from '../src/cli.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const log = createLogger({ silent: true })

// WORKERDB_URL would win over the config's server: these tests are about the config's.
beforeEach(() => { vi.stubEnv('WORKERDB_URL', '') })
afterEach(() => { vi.unstubAllEnvs() })

describe('a server URL of another database kind', () => {
  it.each([
    ['mysql://root@127.0.0.1:3306/test', 'MySQL/MariaDB'],
    ['mariadb://root@127.0.0.1:3306/test', 'MySQL/MariaDB'],
    ['sqlite:./test.db', 'SQLite'],
    ['file:./test.db', 'SQLite'],
  ])('%s: E_CONFIG naming the kind, the password never shown', async (url, kind) => {
    const withPassword = url.replace('root@', 'root:s3cret@')
    const err = await startServer({ url: withPassword }, log).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', detail: expect.stringContaining(`${kind} is not supported yet`) })
    expect((err as Error).message).not.toContain('s3cret')
    expect((err as { hint: string }).hint).toMatch(/postgresql:\/\//)
  })

  it('an unknown scheme still gets the plain answer', async () => {
    await expect(startServer({ url: 'redis://127.0.0.1:6379' }, log)).rejects.toMatchObject({ code: 'E_CONFIG', detail: expect.stringContaining('not a postgresql:// URL') })
  })

  it('`workerdb status` refuses it too, before connecting anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-url-kind-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ server: { url: 'mysql://root@127.0.0.1:3306/test' } }))
      const { code, text } = await main(['status'], dir)
      expect(code).not.toBe(0)
      expect(text).toContain('MySQL/MariaDB is not supported yet')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
