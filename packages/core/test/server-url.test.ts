/**
 * The server URL picks the database kind: postgresql://, mysql:// or mariadb://, file: or sqlite:. A URL of
 * any other scheme is refused up front with an error that names the kinds — never a connection attempt in
 * the wrong protocol — and config `dialect` must agree with the URL when both are given.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chooseServer, NO_PROBE, startServer } from '../src/server/index.js'
import { createLogger } from '../src/log.js'
import { main } from '../src/cli.js'
import { connectionParts, withDatabase } from '../src/url.js'
import { dialectFor } from '../src/catalog/dialects.js'

const log = createLogger({ silent: true })

// WORKERDB_URL would win over the config's server: these tests are about the config's.
beforeEach(() => { vi.stubEnv('WORKERDB_URL', '') })
afterEach(() => { vi.unstubAllEnvs() })

describe('the kind a server URL names', () => {
  it.each([
    ['postgresql://u@h:5432/postgres', 'postgres'],
    ['postgres://u@h/app', 'postgres'],
    ['mysql://root@127.0.0.1:3306/test', 'mysql'],
    ['mariadb://root@127.0.0.1:3306', 'mysql'],
    ['sqlite:./dbs', 'sqlite'],
    ['file:///tmp/dbs', 'sqlite'],
  ])('%s → %s', (url, kind) => {
    expect(dialectFor(url).name).toBe(kind)
  })

  it('URLs of each kind give a database\'s URL and parts: MySQL\'s port defaults to 3306, SQLite\'s database is a file', () => {
    expect(connectionParts('mysql://root@db.example/app')).toMatchObject({ host: 'db.example', port: '3306', user: 'root', database: 'app' })
    expect(connectionParts(withDatabase('mysql://root@db.example:3307', 'wdb_x_1'))).toMatchObject({ port: '3307', database: 'wdb_x_1' })
    expect(connectionParts('postgresql://u@h/app').port).toBe('5432')
    const file = withDatabase('file:///tmp/dbs/', 'wdb_x_1')
    expect(file).toBe('file:///tmp/dbs/wdb_x_1.db')
    expect(connectionParts(file)).toEqual({ url: file, host: '', port: '', user: '', password: '', database: '/tmp/dbs/wdb_x_1.db' })
  })

  it('an unknown scheme: E_CONFIG naming the kinds there are, the password never shown', async () => {
    const err = await startServer({ url: 'redis://u:s3cret@127.0.0.1:6379' }, log).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONFIG', detail: expect.stringContaining('not a URL of a database kind workerdb serves') })
    expect((err as Error).message).not.toContain('s3cret')
    expect((err as { hint: string }).hint).toMatch(/postgresql:\/\/.*mysql:\/\/.*file:/)
  })

  it('`workerdb status` refuses it too, before connecting anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-url-kind-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ server: { url: 'redis://127.0.0.1:6379' } }))
      const { code, text } = await main(['status'], dir)
      expect(code).not.toBe(0)
      expect(text).toContain('not a URL of a database kind workerdb serves')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('config `dialect`', () => {
  it('sqlite without a URL: the project\'s node_modules/.cache/workerdb/sqlite directory', () => {
    const c = chooseServer('auto', {}, NO_PROBE, { dialect: 'sqlite', dir: '/work/app' })
    expect(c).toMatchObject({ kind: 'url', url: pathToFileURL('/work/app/node_modules/.cache/workerdb/sqlite').href + '/' })
  })

  it('mysql without a URL: E_CONFIG saying a server is needed and how to name one', () => {
    expect(() => chooseServer('auto', {}, NO_PROBE, { dialect: 'mysql', dir: '/work/app' })).toThrow(expect.objectContaining({ code: 'E_CONFIG', hint: expect.stringContaining('mysql://') }))
  })

  it('a URL of another kind than `dialect` says: E_CONFIG naming both', () => {
    expect(() => chooseServer('auto', { WORKERDB_URL: 'postgresql://u@h/postgres' }, NO_PROBE, { dialect: 'sqlite', dir: '/x' }))
      .toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/dialect: 'sqlite'.*postgres URL/) }))
    expect(chooseServer('auto', { WORKERDB_URL: 'file:/tmp/x' }, NO_PROBE, { dialect: 'sqlite', dir: '/x' }).url).toBe('file:/tmp/x')
  })

  it('validation names the kinds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workerdb-dialect-'))
    try {
      writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ dialect: 'oracle' }))
      const { code, text } = await main(['doctor'], dir)
      expect(code).not.toBe(0)
      expect(text).toMatch(/`dialect` must be "postgres", "mysql", "sqlite"/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
