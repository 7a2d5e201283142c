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
import { mysqlContainerKind, type ContainerKind } from '../src/server/testcontainers/package.js'
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
    type Pkg = ReturnType<typeof mariadb>
    const mariadb = (version: string) => ({ name: '@testcontainers/mariadb', packageJson: '/p/package.json', entry: '/p/index.js', version })
    const mysqlModule = (version: string) => ({ ...mariadb(version), name: '@testcontainers/mysql' })
    const probe = (pkg?: Pkg, mysqlPkg?: Pkg) => {
      const asked: Array<string | undefined> = []
      return { asked, runtime: () => runtime, testcontainers: (kind?: ContainerKind) => (asked.push(kind), kind === 'mariadb' ? pkg : kind === 'mysql' ? mysqlPkg : undefined) }
    }
    const mysql = { dialect: 'mysql' as const, dir: '/work/app' }

    it("'auto' with a runtime and @testcontainers/mariadb installed: a MariaDB container", () => {
      const p = probe(mariadb('11.14.0'))
      const c = chooseServer('auto', {}, p, mysql)
      expect(c).toMatchObject({ kind: 'testcontainers', container: 'mariadb', testcontainers: { name: '@testcontainers/mariadb' } })
      expect(c.source).toMatch(/dialect 'mysql'.*@testcontainers\/mariadb@11\.14\.0/)
      expect(p.asked).toEqual(['mariadb', 'mysql'])
    })

    it("'auto' with only @testcontainers/mysql installed: a MySQL container; with both, MariaDB's unless the image is MySQL's", () => {
      expect(chooseServer('auto', {}, probe(undefined, mysqlModule('11.14.0')), mysql))
        .toMatchObject({ kind: 'testcontainers', container: 'mysql', testcontainers: { name: '@testcontainers/mysql' } })
      const both = probe(mariadb('11.14.0'), mysqlModule('11.14.0'))
      expect(chooseServer('auto', {}, both, mysql)).toMatchObject({ container: 'mariadb' })
      expect(chooseServer({ testcontainers: { image: 'mysql:8.4' } }, {}, both, mysql)).toMatchObject({ container: 'mysql', testcontainers: { name: '@testcontainers/mysql' } })
    })

    it('the image names the server: a MySQL image with only MariaDB\'s module is asked of @testcontainers/mysql, by name', () => {
      const c = chooseServer({ testcontainers: { image: 'registry.example:5000/team/mysql:9.1@sha256:abc' } }, {}, probe(mariadb('11.14.0')), mysql)
      expect(c).toMatchObject({ kind: 'testcontainers', container: 'mysql' })
      expect(c.testcontainers).toBeUndefined()
      expect(() => chooseServer('auto', {}, probe(), mysql)).toThrow(expect.objectContaining({ hint: expect.stringContaining('or @testcontainers/mysql for MySQL') }))
    })

    it.each([
      ['mysql:8.4', 'mysql'], ['workerdb/mysql:sid-local', 'mysql'], ['percona/percona-server:8.0', 'mysql'], ['docker.io/library/mysql', 'mysql'],
      ['mariadb:11.4', 'mariadb'], ['quay.io/org/mariadb@sha256:0f', 'mariadb'], ['localhost:5000/mariadb:10.11', 'mariadb'],
    ] as const)('mysqlContainerKind(%s) is %s, whatever is installed', (image, kind) => {
      for (const installed of [{ mariadb: true, mysql: false }, { mariadb: false, mysql: true }, { mariadb: true, mysql: true }]) {
        expect(mysqlContainerKind(image, installed)).toBe(kind)
      }
    })

    it('mysqlContainerKind without a telling image: the module installed, MariaDB\'s when both or neither are', () => {
      for (const image of [undefined, 'registry.example:5000/team/db:1']) {
        expect(mysqlContainerKind(image, { mariadb: true, mysql: false })).toBe('mariadb')
        expect(mysqlContainerKind(image, { mariadb: false, mysql: true })).toBe('mysql')
        expect(mysqlContainerKind(image, { mariadb: true, mysql: true })).toBe('mariadb')
        expect(mysqlContainerKind(image, { mariadb: false, mysql: false })).toBe('mariadb')
      }
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
        // A MySQL image: MySQL's module, and the way out to a MySQL server.
        writeFileSync(join(dir, 'workerdb.config.json'), JSON.stringify({ dialect: 'mysql', server: { testcontainers: { image: 'mysql:8.4' } } }))
        const mysqlDoctor = await main(['doctor'], dir)
        expect(mysqlDoctor.text).toMatch(/but @testcontainers\/mysql is not installed/)
        expect(mysqlDoctor.text).toMatch(/npm i -D @testcontainers\/mysql@1[12], or set WORKERDB_URL to a MySQL server/)
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
