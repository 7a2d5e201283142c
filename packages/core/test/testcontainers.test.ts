import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { validateOptions } from '../src/config/validate.js'
import { isWorkerDbError, type WorkerDbError } from '../src/errors.js'
import type { Logger } from '../src/log.js'
import { chooseServer, startServer, type ServerProbe } from '../src/server/index.js'
import { containerMemory, MYSQL_DATA_DIR, startTestcontainers } from '../src/server/testcontainers.js'
import { detectContainerRuntime, detectLocalRuntime, type RuntimeDetection } from '../src/server/testcontainers/detect.js'
import { findTestcontainers, installHint, testcontainersMajorFor, testcontainersUsable } from '../src/server/testcontainers/package.js'
import { removeOrphanContainers } from '../src/server/testcontainers/guard.js'

const CORE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const HOME = '/home/ada'

function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = []
  return { lines, info: (l) => lines.push(`info ${l}`), warn: (l) => lines.push(`warn ${l}`), progress: () => {} }
}

const only = (...present: string[]) => (f: string) => present.includes(f)

async function rejection(p: Promise<unknown>): Promise<WorkerDbError> {
  try {
    await p
  } catch (err) {
    if (isWorkerDbError(err)) return err
    throw err
  }
  throw new Error('expected a rejection')
}

describe('detectContainerRuntime', () => {
  it('finds nothing on a bare machine, and says everything it checked', () => {
    const r = detectContainerRuntime({}, only(), HOME, { platform: 'linux', uid: 1000 })
    expect(r.found).toBe(false)
    expect(r.via).toBeUndefined()
    expect(r.checked).toEqual([
      '$DOCKER_HOST', '$TESTCONTAINERS_HOST_OVERRIDE', '$TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE',
      `${HOME}/.testcontainers.properties (docker.host, tc.host)`,
      '/var/run/docker.sock', `${HOME}/.docker/run/docker.sock`, `${HOME}/.docker/desktop/docker.sock`, '/run/user/1000/docker.sock',
      '/run/user/1000/podman/podman.sock', '/run/podman/podman.sock',
    ])
  })

  it('trusts DOCKER_HOST first, without touching the file system, and hides credentials in it', () => {
    const r = detectContainerRuntime({ DOCKER_HOST: 'tcp://me:s3cret@docker:2376' }, () => { throw new Error('no fs access expected') }, HOME)
    expect(r).toEqual({ found: true, via: 'DOCKER_HOST=tcp://me:***@docker:2376', checked: ['$DOCKER_HOST'] })
  })

  it('counts the testcontainers override variables as an engine the user configured', () => {
    expect(detectContainerRuntime({ TESTCONTAINERS_HOST_OVERRIDE: 'host.docker.internal' }, only(), HOME).via).toBe('TESTCONTAINERS_HOST_OVERRIDE=host.docker.internal')
    expect(detectContainerRuntime({ TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE: '/var/run/docker.sock' }, only(), HOME).found).toBe(true)
  })

  it('reads docker.host or tc.host from ~/.testcontainers.properties, and ignores a file without them', () => {
    const props = `${HOME}/.testcontainers.properties`
    const withHost = detectContainerRuntime({}, only(props), HOME, { read: () => '# comment\ndocker.host = unix:///run/colima.sock\n' })
    expect(withHost.found).toBe(true)
    expect(withHost.via).toBe(`docker.host=unix:///run/colima.sock in ${props}`)
    expect(detectContainerRuntime({}, only(props), HOME, { read: () => 'tc.host=tcp://cloud:443' }).via).toMatch(/^tc\.host=tcp:\/\/cloud:443/)
    expect(detectContainerRuntime({}, only(props), HOME, { platform: 'linux', read: () => 'ryuk.disabled=true\n' }).found).toBe(false)
  })

  it('finds the rootful, Docker Desktop and rootless Docker sockets', () => {
    for (const sock of ['/var/run/docker.sock', `${HOME}/.docker/run/docker.sock`, `${HOME}/.docker/desktop/docker.sock`, '/run/user/1000/docker.sock', '/tmp/xdg/docker.sock']) {
      const r = detectContainerRuntime({ XDG_RUNTIME_DIR: '/tmp/xdg' }, only(sock), HOME, { platform: 'linux', uid: 1000 })
      expect(r, sock).toMatchObject({ found: true, via: sock })
      // testcontainers finds these itself: no DOCKER_HOST to hand it.
      expect(r.dockerHost).toBeUndefined()
      expect(r.checked.at(-1)).toBe(sock)
    }
  })

  it('finds Podman sockets and says which DOCKER_HOST points testcontainers at them', () => {
    const r = detectContainerRuntime({ XDG_RUNTIME_DIR: '/run/user/1000' }, only('/run/user/1000/podman/podman.sock'), HOME, { platform: 'linux', uid: 1000 })
    expect(r).toMatchObject({ found: true, via: '/run/user/1000/podman/podman.sock', dockerHost: 'unix:///run/user/1000/podman/podman.sock' })
    // XDG_RUNTIME_DIR and /run/user/<uid> are the same dir here: each place is listed once.
    expect(new Set(r.checked).size).toBe(r.checked.length)
    expect(detectContainerRuntime({}, only('/run/podman/podman.sock'), HOME, { platform: 'linux' }).dockerHost).toBe('unix:///run/podman/podman.sock')
  })

  it('looks for the named pipe on Windows instead of Unix sockets', () => {
    expect(detectContainerRuntime({}, only('//./pipe/docker_engine'), 'C:\\Users\\ada', { platform: 'win32' })).toMatchObject({ found: true, via: '//./pipe/docker_engine' })
    expect(detectContainerRuntime({}, only('/var/run/docker.sock'), 'C:\\Users\\ada', { platform: 'win32' }).found).toBe(false)
  })
})

describe('which @testcontainers/postgresql major fits this Node', () => {
  it('is 11 below Node 22.22 and 12 from it', () => {
    expect(testcontainersMajorFor('20.20.2')).toBe(11)
    expect(testcontainersMajorFor('22.21.9')).toBe(11)
    expect(testcontainersMajorFor('v22.22.0')).toBe(12)
    expect(testcontainersMajorFor('24.1.0')).toBe(12)
    expect(installHint('20.20.2')).toBe('npm i -D @testcontainers/postgresql@11')
    expect(installHint('22.22.0')).toBe('npm i -D @testcontainers/postgresql@12')
  })

  it('is found from the user\'s project dir, not from workerdb\'s own location', () => {
    const found = findTestcontainers([CORE_DIR])
    expect(found?.version).toBe('11.14.0')
    expect(fs.existsSync(found!.entry)).toBe(true)
    // Not via NODE_PATH, which pnpm's bin shims point at the whole store (set while these tests run).
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'workerdb-tc-'))
    try {
      expect(findTestcontainers([empty])).toBeUndefined()
    } finally {
      fs.rmSync(empty, { recursive: true, force: true })
    }
  })
})

describe('chooseServer', () => {
  const noRuntime: RuntimeDetection = { found: false, checked: ['/var/run/docker.sock'] }
  const docker: RuntimeDetection = { found: true, via: '/var/run/docker.sock', checked: ['/var/run/docker.sock'] }
  const probe = (runtime: RuntimeDetection, version?: string): ServerProbe & { looked: string[] } => {
    const looked: string[] = []
    return {
      looked,
      runtime: () => (looked.push('runtime'), runtime),
      testcontainers: () => (looked.push('package'), version ? { name: '@testcontainers/postgresql', packageJson: '/p/package.json', entry: '/p/build/index.js', version } : undefined),
    }
  }

  it("'auto' without a runtime picks the embedded server and doesn't look for the package", () => {
    const p = probe(noRuntime, '11.14.0')
    const c = chooseServer('auto', {}, p)
    expect(c).toMatchObject({ kind: 'embedded', runtime: noRuntime })
    expect(c.source).toMatch(/no WORKERDB_URL, server.url or container runtime/)
    expect(p.looked).toEqual(['runtime'])
  })

  it("'auto' with a runtime but without the package stays on the embedded server", () => {
    const c = chooseServer('auto', {}, probe(docker))
    expect(c.kind).toBe('embedded')
    expect(c.source).toMatch(/@testcontainers\/postgresql is not installed/)
  })

  it("'auto' with a runtime and the package picks testcontainers", () => {
    const c = chooseServer('auto', {}, probe(docker, `${testcontainersMajorFor()}.0.0`))
    expect(c).toMatchObject({ kind: 'testcontainers', runtime: docker })
    expect(c.source).toMatch(/container runtime at \/var\/run\/docker.sock/)
  })

  it("'auto' skips a package too new for this Node instead of crashing on it", () => {
    const c = chooseServer('auto', {}, probe(docker, '99.0.0'))
    expect(c.kind).toBe('embedded')
    expect(c.source).toMatch(/needs Node >= 22.22/)
  })

  it('a URL wins over everything, and is decided without probing', () => {
    const p = probe(docker, '11.14.0')
    expect(chooseServer({ testcontainers: {} }, { WORKERDB_URL: 'postgresql://x@h/postgres' }, p).kind).toBe('url')
    expect(chooseServer({ url: 'postgresql://x@h/postgres' }, {}, p).kind).toBe('url')
    expect(p.looked).toEqual([])
    // Only 'auto' without a URL looks, runtime first (cheap), then the package.
    expect(chooseServer('auto', {}, p).kind).toBe('testcontainers')
    expect(p.looked).toEqual(['runtime', 'package'])
  })

  it('an explicit request picks testcontainers and reports the detection, even without a runtime', () => {
    expect(chooseServer({ testcontainers: true }, {}, probe(noRuntime))).toMatchObject({ kind: 'testcontainers', runtime: noRuntime, testcontainers: undefined })
  })

  // Whether or not this machine has an engine (CI starts one): the fake-probe cases above cover both ways.
  it('on this machine, auto follows what it detects here', () => {
    const tc = findTestcontainers()
    const expected = detectLocalRuntime({}).found && tc && testcontainersUsable(tc.version) ? 'testcontainers' : 'embedded'
    expect(chooseServer('auto', {}).kind).toBe(expected)
  })
})

describe('config validation', () => {
  const bad = (server: unknown) => () => validateOptions({ server }, 'test')
  it('accepts the testcontainers shapes', () => {
    for (const server of [{ testcontainers: true }, { testcontainers: {} }, { testcontainers: { image: 'postgres:16', reuse: true } }, { testcontainers: { memory: false } }]) {
      expect(() => validateOptions({ server }, 'test')).not.toThrow()
    }
  })
  it('rejects bad ones with E_CONFIG naming the fix', () => {
    expect(bad({ testcontainers: 'yes' })).toThrow(/E_CONFIG: test: `server.testcontainers` must be an object or true/)
    expect(bad({ testcontainers: { image: '' } })).toThrow(/image` must be a non-empty image name/)
    expect(bad({ testcontainers: { reuse: 'no' } })).toThrow(/reuse` must be true or false/)
    expect(bad({ testcontainers: { memory: 'off' } })).toThrow(/memory` must be true or false/)
    expect(bad({ testcontainers: { imgae: 'postgres:16' } })).toThrow(/unknown option "server.testcontainers.imgae"[\s\S]*Known options: image, reuse, memory/)
    expect(bad({ testcontainers: {}, url: 'postgresql://x@h/postgres' })).toThrow(/has "testcontainers" and "url"/)
    expect(bad({ docker: {} })).toThrow(/no "url", "embedded" or "testcontainers" key/)
  })
})

describe('containerMemory: where a container keeps its data', () => {
  it('MariaDB and MySQL keep their data dir in memory unless memory is false', () => {
    for (const kind of ['mariadb', 'mysql'] as const) {
      expect(containerMemory(kind, undefined)).toEqual({ [MYSQL_DATA_DIR]: 'rw' })
      expect(containerMemory(kind, true)).toEqual({ [MYSQL_DATA_DIR]: 'rw' })
      expect(containerMemory(kind, false)).toEqual({})
    }
  })

  it('PostgreSQL gets none, and refuses the option with E_CONFIG naming the fix', () => {
    expect(containerMemory('postgres', undefined)).toEqual({})
    for (const memory of [true, false]) {
      let err: unknown
      try {
        containerMemory('postgres', memory)
      } catch (e) {
        err = e
      }
      expect(isWorkerDbError(err) && err.code).toBe('E_CONFIG')
      expect((err as WorkerDbError).hint).toMatch(/Remove `memory`[\s\S]*embedded/)
    }
  })

  it('a PostgreSQL container with memory set is refused before any engine is looked for', async () => {
    const err = await rejection(startTestcontainers({ memory: true }, captureLog(), { dirs: [CORE_DIR], detect: () => { throw new Error('no engine lookup expected') } }))
    expect(err.code).toBe('E_CONFIG')
    expect(err.message).toMatch(/applies to MariaDB and MySQL containers/)
  })
})

describe('starting testcontainers without an engine (real @testcontainers/postgresql 11.14.0)', () => {
  const saved = { ...process.env }
  afterEach(() => {
    for (const k of ['DOCKER_HOST', 'WORKERDB_URL']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })

  it('fails with E_NO_RUNTIME naming what was checked and the fallbacks', async () => {
    // A machine without an engine, whatever this one has (the live runs are in e2e/test/containers.test.ts).
    const none = () => detectContainerRuntime({}, () => false, HOME, { platform: 'linux', uid: 1000 })
    const err = await rejection(startTestcontainers({}, captureLog(), { dirs: [CORE_DIR], detect: none }))
    expect(err.code).toBe('E_NO_RUNTIME')
    expect(err.message).toMatch(/no container runtime found/)
    expect(err.message).toContain('/var/run/docker.sock')
    expect(err.hint).toContain('WORKERDB_URL')
    expect(err.hint).toMatch(/embedded server/)
    expect(err.hint).toMatch(/remove `server`/)
  })

  it('refuses a DOCKER_HOST socket that does not exist (testcontainers would fall through to another engine)', async () => {
    delete process.env.WORKERDB_URL
    process.env.DOCKER_HOST = 'unix:///tmp/nonexistent-docker.sock'
    const err = await rejection(startServer({ testcontainers: { image: 'postgres:17-alpine' } }, captureLog(), { dirs: [CORE_DIR] }))
    expect(err.code).toBe('E_NO_RUNTIME')
    // Refused before testcontainers, which would fall through to /var/run/docker.sock where one exists.
    expect(err.message).toMatch(/DOCKER_HOST=unix:\/\/\/tmp\/nonexistent-docker.sock names a socket that does not exist/)
    expect(err.hint).toContain('WORKERDB_URL')
  })

  it('wraps testcontainers\' own failure when DOCKER_HOST names an address where no engine answers', async () => {
    delete process.env.WORKERDB_URL
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1'
    // An image no registry has: with an engine behind the fall-through, the start fails anyway.
    const err = await rejection(startServer({ testcontainers: { image: 'workerdb-test/no-such-image:never' } }, captureLog(), { dirs: [CORE_DIR] }))
    expect(err.message).toMatch(/testcontainers could not (use the container runtime found at|start)/)
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('asks for the package, with the major that fits this Node, when it is not installed', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'workerdb-tc-'))
    const err = await rejection(startTestcontainers({}, captureLog(), { dirs: [empty], detect: () => ({ found: true, via: 'test', checked: [] }) }))
      .finally(() => fs.rmSync(empty, { recursive: true, force: true }))
    expect(err.code).toBe('E_CONFIG')
    expect(err.hint).toContain(installHint())
  })
})

describe('removeOrphanContainers (the sweep behind the guard)', () => {
  it('removes containers of this host whose runner is gone, keeps those of live runners, and never throws', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workerdb-tc-fake-'))
    try {
      // A stand-in for the testcontainers package: its runtime client, recording what workerdb asks.
      const entry = path.join(dir, 'index.js')
      fs.writeFileSync(entry, `
const calls = []
const containers = [
  { Id: 'aaaaaaaaaaaaaaaa', Labels: { 'org.workerdb.guard': 't1', 'org.workerdb.pid': '111', 'org.workerdb.host': 'h' } },
  { Id: 'bbbbbbbbbbbbbbbb', Labels: { 'org.workerdb.guard': 't2', 'org.workerdb.pid': '222', 'org.workerdb.host': 'h' } },
  { Id: 'cccccccccccccccc', Labels: { 'org.workerdb.guard': 't3', 'org.workerdb.pid': 'x', 'org.workerdb.host': 'h' } },
]
module.exports = {
  calls,
  async getContainerRuntimeClient() {
    return { container: { dockerode: {
      async listContainers(o) { calls.push(['list', o]); return containers },
      getContainer(id) { return { async remove(o) { calls.push(['remove', id, o]) } } },
    } } }
  },
}`)
      const removed = await removeOrphanContainers(entry, 'h', (pid) => pid === 222)
      expect(removed).toEqual(['aaaaaaaaaaaa'])
      const { calls } = createRequire(entry)(entry) as { calls: unknown[] }
      expect(calls).toEqual([
        ['list', { all: true, filters: { label: ['org.workerdb.guard', 'org.workerdb.host=h'] } }],
        ['remove', 'aaaaaaaaaaaaaaaa', { force: true, v: true }],
      ])
      // An engine that does not answer (or no package) sweeps nothing and lets the start report the problem.
      expect(await removeOrphanContainers(path.join(dir, 'missing.js'))).toEqual([])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
