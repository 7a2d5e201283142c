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

  it('mysql without a URL or a container runtime: E_CONFIG saying a server is needed and both ways to have one', () => {
    expect(() => chooseServer('auto', {}, NO_PROBE, { dialect: 'mysql', dir: '/work/app' })).toThrow(expect.objectContaining({
      code: 'E_CONFIG', message: expect.stringContaining('no container runtime answers'), hint: expect.stringMatching(/mysql:\/\/.*@testcontainers\/mariadb/),
    }))
  })

  describe('mysql and containers', () => {
    const runtime = { found: true, via: '/var/run/docker.sock', checked: ['/var/run/docker.sock'] }
    const mariadb = (version: string) => ({ name: '@testcontainers/mariadb', packageJson: '/p/package.json', entry: '/p/index.js', version })
    const probe = (pkg?: ReturnType<typeof mariadb>) => {
      const asked: Array<string | undefined> = []
      return { asked, runtime: () => runtime, testcontainers: (kind?: 'postgres' | 'mysql') => (asked.push(kind), kind === 'mysql' ? pkg : undefined) }
    }
    const mysql = { dialect: 'mysql' as const, dir: '/work/app' }

    it("'auto' with a runtime and @testcontainers/mariadb installed: a MariaDB container", () => {
      const p = probe(mariadb('11.14.0'))
      const c = chooseServer('auto', {}, p, mysql)
      expect(c).toMatchObject({ kind: 'testcontainers', testcontainers: { name: '@testcontainers/mariadb' } })
      expect(c.source).toMatch(/dialect 'mysql'.*@testcontainers\/mariadb@11\.14\.0/)
      expect(p.asked).toEqual(['mysql'])
    })

    it("'auto' with a runtime but not the package (or not one this Node loads): E_CONFIG naming it", () => {
      expect(() => chooseServer('auto', {}, probe(), mysql)).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringContaining('@testcontainers/mariadb is not installed') }))
      if (Number(process.versions.node.split('.')[0]) < 22) {
        expect(() => chooseServer('auto', {}, probe(mariadb('12.1.0')), mysql)).toThrow(expect.objectContaining({ message: expect.stringContaining('needs Node >= 22.22') }))
      }
    })

    it('`server: { testcontainers }` asks for the container; `server: { embedded }` is refused, being PostgreSQL', () => {
      expect(chooseServer({ testcontainers: {} }, {}, probe(mariadb('11.14.0')), mysql)).toMatchObject({ kind: 'testcontainers' })
      expect(() => chooseServer({ embedded: {} }, {}, probe(), mysql)).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringContaining('server: { embedded }') }))
    })

    it('a URL still wins', () => {
      expect(chooseServer('auto', { WORKERDB_URL: 'mysql://root@h:3306/' }, probe(mariadb('11.14.0')), mysql)).toMatchObject({ kind: 'url' })
    })

    it('doctor names the MariaDB module, not PostgreSQL\'s, and the way out without it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'workerdb-doctor-mariadb-'))
      try {
        writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ dialect: 'mysql', server: { testcontainers: {} } }))
        const { code, text } = await main(['doctor'], dir)
        expect(code).not.toBe(0)
        expect(text).toMatch(/server: testcontainers \(server\.testcontainers in the workerdb config\), but @testcontainers\/mariadb is not installed/)
        expect(text).toMatch(/npm i -D @testcontainers\/mariadb@1[12], or set WORKERDB_URL to a MariaDB server/)
        expect(text).not.toContain('@testcontainers/postgresql')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
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
