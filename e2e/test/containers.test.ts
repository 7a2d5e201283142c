/**
 * testcontainers, live: real Vitest 4 and Jest 29 runs with `server: { testcontainers: { image } }` on a
 * real Docker engine, with the images `scripts/db-image.mjs` builds from Debian packages (no registry is
 * needed; WORKERDB_TEST_PG_IMAGE, WORKERDB_TEST_MARIADB_IMAGE and WORKERDB_TEST_MYSQL_IMAGE name others).
 * Every worker gets its own clone in the container (PostgreSQL, and MariaDB or MySQL for `dialect: 'mysql'`),
 * and nothing is left after the run; `reuse: true` keeps container and template across two runs; `server:
 * 'auto'` picks the container; a DOCKER_HOST leading nowhere is E_NO_RUNTIME; a runner killed with SIGKILL
 * leaves no container behind, without Ryuk (workerdb's guard removes it), and when the guard is killed too,
 * the next start removes it.
 *
 * Without an engine or the image this file skips, saying why — unless WORKERDB_TEST_CONTAINERS=required
 * (.ci/run sets it after starting Docker), when every test fails with the reason instead.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'
import { skipWithoutContainer } from '../../test-support/skips.mjs'
import { procs } from '../../test-support/processes.js'
import { kill, reapGroup, startVitest, victimLines, waitFor } from '../support/chaos.js'
import { describeRun, expectIsolated, FIXTURES_DIR, isolationProblems, portRefuses, runVitest, useScenarios } from '../support/harness.js'
import { dialectFiles } from '../support/dialect/scenario.js'
import { describeRun as describeJestRun, expectIsolated as expectJestIsolated, runJest, useJestScenarios } from '../support/jest-harness.js'
import { containerMissing, MARIADB_IMAGE, MYSQL_IMAGE } from '../../test-support/mysql-server.js'
import { testIf } from '../support/tier.js'

const IMAGE = process.env.WORKERDB_TEST_PG_IMAGE || 'workerdb/postgres:15-local'
// The reaper image cannot be pulled without a registry, and these tests prove workerdb needs none:
// every run here goes without Ryuk (the variable reaches the runs through the environment).
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true'

function docker(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() }
}

/** Why the live tests cannot run here (no engine, or one of the three images is not on it), or undefined when they can. */
const reason = containerMissing(IMAGE, 'postgres') ?? containerMissing(MARIADB_IMAGE) ?? containerMissing(MYSQL_IMAGE)
const skip = skipWithoutContainer(import.meta.url, reason, 'the live container tests')

function requireEngine(): void {
  if (reason) throw new Error(`the container e2e cannot run: ${reason} (WORKERDB_TEST_CONTAINERS=required)`)
}

/** Containers of a test image (PostgreSQL's unless named) that testcontainers started, with their labels. */
function containers(filter: string[] = [], image = IMAGE): string[] {
  const r = docker(['ps', '-a', '--filter', `ancestor=${image}`, '--filter', 'label=org.testcontainers=true', ...filter.flatMap((f) => ['--filter', f]), '--format', '{{.ID}}'])
  return r.out.split('\n').filter(Boolean)
}

function removeContainers(filter: string[] = [], image = IMAGE): void {
  const ids = containers(filter, image)
  if (ids.length) docker(['rm', '-f', '-v', ...ids])
}

/** `workerdb · testcontainers IMAGE on HOST:PORT (START)` from a run's output. */
function startedContainer(output: string): { image: string; host: string; port: number; took: string } | undefined {
  const m = /workerdb · testcontainers (\S+) on ([^\s:]+):(\d+) \(([^)]*)\)/.exec(output)
  return m ? { image: m[1]!, host: m[2]!, port: Number(m[3]), took: m[4]! } : undefined
}

/**
 * Installs @testcontainers/postgresql (or /mariadb, /mysql) into one scenario, as a user would in
 * their project: a link to the copy of the e2e/fixtures/testcontainers package. Not in the Vitest or Jest
 * fixtures themselves, where every other scenario would find it and, with Docker present, its 'auto' would
 * try containers.
 */
function installTestcontainers<P extends { dir: string }>(project: P, module: 'postgresql' | 'mariadb' | 'mysql' = 'postgresql'): P {
  const scope = join(project.dir, 'node_modules', '@testcontainers')
  mkdirSync(scope, { recursive: true })
  symlinkSync(realpathSync(join(FIXTURES_DIR, 'testcontainers', 'node_modules', '@testcontainers', module)), join(scope, module), 'dir')
  return project
}

const useVitest = useScenarios()
const useJest = useJestScenarios()
const scenarios = { project: (o: Parameters<typeof useVitest.project>[0]) => installTestcontainers(useVitest.project(o)) }
const jestScenarios = { project: (o: Parameters<typeof useJest.project>[0]) => installTestcontainers(useJest.project(o)) }
const tc = { server: { testcontainers: { image: IMAGE } } }

// Whatever happened: no container of this file survives it (the images themselves stay cached).
afterAll(() => {
  if (!reason) {
    removeContainers()
    removeContainers([], MARIADB_IMAGE)
    removeContainers([], MYSQL_IMAGE)
  }
})

describe.skipIf(skip)('testcontainers on a real engine', () => {
  test('vitest 4: every worker on its own clone in a fresh container, which is stopped and removed after', async () => {
    requireEngine()
    const project = scenarios.project({ tag: 'tcv', vitest: 4, files: 3, holdMs: 100, workerDb: tc, config: { pool: 'forks', maxWorkers: 2 } })
    const r = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
    const info = describeRun(r)
    const c = startedContainer(r.stderr)
    expect(c, info).toMatchObject({ image: IMAGE })
    console.log(`containers · vitest 4: container ready in ${c!.took}, whole run ${r.ms} ms`)
    expectIsolated(project, r)
    expect(r.done.every((d) => d.template && !d.template.reused), info).toBe(true)
    // Stopped and removed by the run itself (testcontainers' stop), its port closed: no clone can remain.
    expect(r.stderr, info).toMatch(/removed the container; its data goes with it/)
    expect(containers(), info).toEqual([])
    expect(await portRefuses(c!.port)).toBe(true)
  })

  // The container is the runner side's: the same for Jest as for Vitest (Jest's run in a full run).
  testIf(false)('jest 29: every worker on its own clone in a fresh container, which is stopped and removed after', async () => {
    requireEngine()
    const project = jestScenarios.project({ jest: 29, files: 3, tag: 'tc', holdMs: 100, config: { maxWorkers: 2 } })
    const configFile = join(project.dir, 'workerdb.config.json')
    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(configFile, 'utf8')), ...tc }, null, 2))
    const r = await runJest(project, { env: { WORKERDB_URL: undefined }, timeoutMs: 180_000 })
    const info = describeJestRun(r)
    const c = startedContainer(r.stderr)
    expect(c, info).toMatchObject({ image: IMAGE })
    console.log(`containers · jest 29: container ready in ${c!.took}, whole run ${r.ms} ms`)
    expectJestIsolated(project, r)
    expect(containers(), info).toEqual([])
    expect(await portRefuses(c!.port)).toBe(true)
  })

  test("server: 'auto' picks the container when a runtime and the package are present", async () => {
    requireEngine()
    const project = scenarios.project({ tag: 'tca', vitest: 4, files: 2, holdMs: 50, workerDb: { server: 'auto' }, config: { pool: 'forks', maxWorkers: 2 } })
    // The image for 'auto' comes from the environment: no config names it.
    const r = await runVitest(project, { embedded: true, env: { WORKERDB_TESTCONTAINERS_IMAGE: IMAGE }, timeoutMs: 180_000 })
    const info = describeRun(r)
    expect(startedContainer(r.stderr), info).toMatchObject({ image: IMAGE })
    expect(r.stderr, info).not.toMatch(/embedded PostgreSQL/)
    expectIsolated(project, r)
    expect(containers(), info).toEqual([])
  })

  test('reuse: true keeps the container and its template across two runs, with the fast settings', async () => {
    requireEngine()
    try {
      const project = scenarios.project({ tag: 'tcr', vitest: 4, files: 2, holdMs: 50, workerDb: { server: { testcontainers: { image: IMAGE, reuse: true } } }, config: { pool: 'forks', maxWorkers: 2 } })
      const first = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
      expectIsolated(project, first)
      const c1 = startedContainer(first.stderr)
      expect(c1, describeRun(first)).toBeDefined()
      expect(containers(), 'the reused container must outlive the run').toHaveLength(1)

      const second = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
      const info = describeRun(second)
      expectIsolated(project, second)
      expect(startedContainer(second.stderr)?.port, info).toBe(c1!.port)
      expect(second.stderr, info).toMatch(/workerdb · template \w+: reused/)
      expect(second.done.every((d) => d.template?.reused), info).toBe(true)
      console.log(`containers · reuse: first run ${first.ms} ms (container ready in ${c1!.took}), second run ${second.ms} ms (found in ${startedContainer(second.stderr)!.took})`)

      // The server workerdb started: the fast settings of server/settings.ts, the template kept, no clone left.
      const client = new pg.Client({ host: c1!.host, port: c1!.port, user: 'test', password: 'test', database: 'postgres' })
      await client.connect()
      try {
        const setting = async (name: string) => (await client.query(`select current_setting($1) as v`, [name])).rows[0].v
        expect(await setting('fsync')).toBe('off')
        expect(await setting('wal_level')).toBe('minimal')
        expect(await setting('synchronous_commit')).toBe('off')
        expect(await setting('full_page_writes')).toBe('off')
        const dbs = (await client.query(`select datname from pg_database where datname like $1 order by 1`, [`${project.prefix}\\_%`])).rows.map((x) => x.datname as string)
        expect(dbs.filter((d) => !d.startsWith(`${project.prefix}_tpl_`)), 'clones left in the container').toEqual([])
        expect(dbs.filter((d) => d.startsWith(`${project.prefix}_tpl_`))).toHaveLength(1)
      } finally {
        await client.end()
      }
    } finally {
      removeContainers()
    }
    expect(containers()).toEqual([])
  })

  test('a runner killed with SIGKILL leaves no container behind, without Ryuk', async () => {
    requireEngine()
    const project = scenarios.project({ tag: 'tck', vitest: 4, files: 2, holdMs: 60_000, workerDb: tc, config: { pool: 'forks', maxWorkers: 2, testTimeout: 120_000 } })
    const v = startVitest(project, { embedded: true })
    // Killed while its tests run: the container is up, the clones made, the test files connected.
    await waitFor('both test files to connect to their clones', () => victimLines(v).filter((l) => l.event === 'connected').length >= 2, { timeoutMs: 150_000, while: v.running })
      .catch((err: Error) => { throw new Error(`${err.message}\n${v.output().slice(-4000)}`) })
    const mine = [`label=org.workerdb.pid=${v.pid}`]
    expect(containers(mine), `${v.output()}\n${docker(['ps', '-a', '--format', '{{.ID}} {{.Labels}}']).out}`).toHaveLength(1)
    await kill(v, 'group')
    reapGroup(v)
    const started = performance.now()
    const left = await waitFor('the guard to remove the killed run\'s container', () => containers(mine).length === 0, { timeoutMs: 30_000, everyMs: 100 })
      .then(() => [] as string[], () => containers(mine))
    if (left.length) removeContainers(mine)
    expect(left, 'containers of the killed run').toEqual([])
    console.log(`containers · SIGKILL: the guard removed the container ${Math.round(performance.now() - started)} ms after the kill`)
  })
})

/** The servers of `dialect: 'mysql'` in a container: the module that starts each, its image, and how it reads back. */
const MYSQL_FAMILY = [
  {
    label: 'MariaDB', module: 'mariadb', other: 'mysql', image: MARIADB_IMAGE, imageVariable: 'WORKERDB_TESTCONTAINERS_MARIADB_IMAGE',
    connect: {}, doublewriteOff: 0 as number | string,
  },
  {
    // MySQL's caching_sha2_password over plain TCP: the client may fetch the server's key (a container of this test).
    label: 'MySQL', module: 'mysql', other: 'mariadb', image: MYSQL_IMAGE, imageVariable: 'WORKERDB_TESTCONTAINERS_MYSQL_IMAGE',
    connect: { allowPublicKeyRetrieval: true }, doublewriteOff: 'OFF' as number | string,
  },
] as const

describe.skipIf(skip).each(MYSQL_FAMILY)("$label in a container: `dialect: 'mysql'` with no URL", (server) => {
  const HOLD_MS = 80
  const familyProject = (tag: string, workerDb: Record<string, unknown>) => installTestcontainers(useVitest.project({
    tag, vitest: 4, files: 2, holdMs: HOLD_MS, workerDb, config: { pool: 'forks', maxWorkers: 2 }, extraFiles: dialectFiles('mjs', HOLD_MS),
  }), server.module)

  // Which module the image or the installed package picks is the same code for both: MySQL's own runs of it
  // are in a full run (support/tier.ts); its fast settings differ, so its reuse run is in every run.
  testIf(server.module === 'mariadb')(`server: { testcontainers: { image } } with both modules installed: the image says ${server.label}; every worker on its own clone in a fresh container, which is removed after`, async () => {
    requireEngine()
    const project = installTestcontainers(familyProject(`tcm${server.module[1]}`, { dialect: 'mysql', server: { testcontainers: { image: server.image } } }), server.other)
    const r = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
    const info = describeRun(r)
    const c = startedContainer(r.stderr)
    expect(c, info).toMatchObject({ image: server.image })
    console.log(`containers · ${server.label}, vitest 4: container ready in ${c!.took}, whole run ${r.ms} ms`)
    expect(isolationProblems(project, r), info).toEqual([])
    expect(r.stderr, info).toMatch(/removed the container; its data goes with it/)
    expect(containers([], server.image), info).toEqual([])
    expect(await portRefuses(c!.port)).toBe(true)
  })

  test(`reuse: true keeps the ${server.label} container and its template across two runs, with the fast settings and its data in memory`, async () => {
    requireEngine()
    try {
      const project = familyProject(`tcw${server.module[1]}`, { dialect: 'mysql', server: { testcontainers: { image: server.image, reuse: true } } })
      const first = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
      expect(isolationProblems(project, first), describeRun(first)).toEqual([])
      const c1 = startedContainer(first.stderr)
      const kept = containers([], server.image)
      expect(kept, 'the reused container must outlive the run').toHaveLength(1)
      // Its data dir on a tmpfs (containerMemory), not the container's disk.
      expect(docker(['exec', kept[0]!, 'stat', '-f', '-c', '%T', '/var/lib/mysql'])).toEqual({ ok: true, out: 'tmpfs' })
      const second = await runVitest(project, { embedded: true, timeoutMs: 180_000 })
      const info = describeRun(second)
      expect(isolationProblems(project, second), info).toEqual([])
      expect(startedContainer(second.stderr)?.port, info).toBe(c1!.port)
      expect(second.stderr, info).toMatch(/workerdb · template \w+: reused/)

      // The server workerdb started (the module's root password): which it is, its fast settings, the template kept, no clone left.
      const conn = await createRequire(import.meta.url)('mysql2/promise').createConnection({ host: c1!.host, port: c1!.port, user: 'root', password: 'test', ...server.connect })
      try {
        const [[v]] = await conn.query('SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush, @@innodb_doublewrite AS dw, @@log_bin AS bin')
        expect(/mariadb/i.test(v.version), v.version).toBe(server.module === 'mariadb')
        expect({ flush: v.flush, dw: v.dw, bin: v.bin }).toEqual({ flush: 0, dw: server.doublewriteOff, bin: 0 })
        const [rows] = await conn.query('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, ?) = ?', [project.prefix.length + 1, `${project.prefix}_`])
        const names = (rows as Array<{ name: string }>).map((r) => r.name)
        expect(names.filter((n) => !n.startsWith(`${project.prefix}_tpl_`)), 'clones left in the container').toEqual([])
        expect(names).toHaveLength(1)
      } finally {
        await conn.end()
      }
    } finally {
      removeContainers([], server.image)
    }
    expect(containers([], server.image)).toEqual([])
  })

  testIf(server.module === 'mariadb')(`'auto' starts ${server.label} in a container when a runtime and @testcontainers/${server.module} (alone) are present`, async () => {
    requireEngine()
    const project = familyProject(`tcq${server.module[1]}`, { dialect: 'mysql' })
    // The image comes from the environment: no config names it, and the module installed says which server.
    const r = await runVitest(project, { embedded: true, env: { [server.imageVariable]: server.image }, timeoutMs: 180_000 })
    const info = describeRun(r)
    expect(startedContainer(r.stderr), info).toMatchObject({ image: server.image })
    expect(isolationProblems(project, r), info).toEqual([])
    expect(containers([], server.image), info).toEqual([])
  })
})

describe.skipIf(skip)('testcontainers on a real engine: the guard killed too', () => {
  test('a container whose runner and guard both died is removed by the next start', async () => {
    requireEngine()
    const project = scenarios.project({ tag: 'tco', vitest: 4, files: 2, holdMs: 60_000, workerDb: tc, config: { pool: 'forks', maxWorkers: 2, testTimeout: 120_000 } })
    const v = startVitest(project, { embedded: true })
    const mine = [`label=org.workerdb.pid=${v.pid}`]
    try {
      await waitFor('both test files to connect to their clones', () => victimLines(v).filter((l) => l.event === 'connected').length >= 2, { timeoutMs: 150_000, while: v.running })
        .catch((err: Error) => { throw new Error(`${err.message}\n${v.output().slice(-4000)}`) })
      const [id] = containers(mine)
      expect(id, v.output()).toBeDefined()
      const token = docker(['inspect', '--format', '{{ index .Config.Labels "org.workerdb.guard" }}', id!]).out
      const guards = procs().filter((p) => p.cmd.includes(token) && p.pid !== process.pid)
      expect(guards, `the guard holding ${token}`).toHaveLength(1)
      // The guard first (as a kill of its session, or a reboot, would take it), then the runner's group.
      process.kill(guards[0]!.pid, 'SIGKILL')
      await kill(v, 'group')
      reapGroup(v)
      await new Promise((r) => setTimeout(r, 4000))
      expect(containers(mine), 'with its guard dead, the container must still be there for this test to mean anything').toHaveLength(1)

      const next = scenarios.project({ tag: 'tcp', vitest: 4, files: 1, holdMs: 10, workerDb: tc })
      const r = await runVitest(next, { embedded: true, timeoutMs: 180_000 })
      const info = describeRun(r)
      expect(r.stderr, info).toMatch(new RegExp(`workerdb · removed 1 container of dead runs \\(${id!.slice(0, 12)}\\)`))
      expectIsolated(next, r)
      expect(containers(mine), info).toEqual([])
    } finally {
      removeContainers(mine)
    }
  })
})

test('E_NO_RUNTIME when the config asks for a container and DOCKER_HOST leads nowhere', async () => {
  const project = scenarios.project({ tag: 'tcn', vitest: 4, files: 1, holdMs: 10, workerDb: tc })
  const before = reason ? [] : containers()
  const r = await runVitest(project, { embedded: true, env: { DOCKER_HOST: 'unix:///tmp/workerdb-e2e-no-engine.sock' }, timeoutMs: 120_000 })
  const info = describeRun(r)
  expect(r.code, info).not.toBe(0)
  expect(r.output, info).toMatch(/E_NO_RUNTIME/)
  expect(r.output, info).toMatch(/DOCKER_HOST=unix:\/\/\/tmp\/workerdb-e2e-no-engine.sock names a socket that does not exist/)
  expect(r.done, info).toEqual([])
  if (!reason) expect(containers()).toEqual(before)
})
