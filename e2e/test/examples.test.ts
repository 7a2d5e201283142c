/**
 * The examples are what users copy: they must run as written, through their own package's test command,
 * with one clone per worker and nothing left on the server afterwards.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { EXAMPLES, leftovers, runExample, useExampleRuns } from '../support/example-run.js'
import { mysqlDropDatabase, mysqlRunLeftovers } from '../support/dialect/scenario.js'
import { useKindServers } from '../support/cleanup.js'
import { dropDatabase } from '../support/jest-harness.js'
import { runGroup } from '../../test-support/processes.js'
import { adminQuery, serverUrl } from '../../test-support/pg.js'
import { withDatabase } from '../../packages/core/src/url.js'

/** A TCP port nothing listens on right now (for the shared app server). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * `prisma generate`, as the Prisma example's test script runs it. Prisma 7 downloads its native schema
 * engine first, from a host this machine kind cannot reach; generating needs no engine, and
 * PRISMA_SCHEMA_ENGINE_BINARY naming any existing file skips the download.
 */
async function prismaGenerate(dir: string): Promise<void> {
  const r = await runGroup(process.execPath, [join(dir, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
    cwd: dir, env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath }, timeoutMs: 120_000,
  })
  if (r.code !== 0) throw new Error(`prisma generate failed:\n${r.stdout}\n${r.stderr}`)
}

useExampleRuns()

describe.each([
  { name: 'vitest-basic', bin: 'vitest/vitest.mjs', args: ['run'], files: 6, workers: 3 },
  { name: 'jest-basic', bin: 'jest/bin/jest.js', args: ['--ci'], files: 6, workers: 3 },
  // One per migration tool, each migrating with the tool's own migrator and asserting its ledger.
  { name: 'vitest-kysely', bin: 'vitest/vitest.mjs', args: ['run'], files: 3, workers: 2 },
  { name: 'jest-knex', bin: 'jest/bin/jest.js', args: ['--ci'], files: 3, workers: 2 },
  { name: 'jest-sequelize', bin: 'jest/bin/jest.js', args: ['--ci'], files: 3, workers: 2 },
  { name: 'jest-nestjs-typeorm', bin: 'jest/bin/jest.js', args: ['--ci'], files: 3, workers: 2 },
  // An app that syncs its own schema (sequelize.sync()), once into the template by a migrate function.
  { name: 'jest-sequelize-sync', bin: 'jest/bin/jest.js', args: ['--ci'], files: 3, workers: 2 },
  { name: 'vitest-drizzle', bin: 'vitest/vitest.mjs', args: ['run'], files: 3, workers: 2 },
  { name: 'vitest-mikro-orm', bin: 'vitest/vitest.mjs', args: ['run'], files: 3, workers: 2 },
  // Its test script runs `prisma generate` first: done here the same way (see PRISMA_GENERATE).
  { name: 'vitest-prisma', bin: 'vitest/vitest.mjs', args: ['run'], files: 3, workers: 2, generate: true },
  // Discrete PG* / APP_DB_NAME variables only, read at import time, over a test.env that says otherwise.
  { name: 'vitest-pg-env', bin: 'vitest/vitest.mjs', args: ['run'], files: 2, workers: 2 },
])('examples/$name', ({ name, bin, args, files, workers, generate }) => {
  test(`passes as written, one clone per worker (${workers}), and leaves no clone behind`, async () => {
    if (generate) await prismaGenerate(join(EXAMPLES, name))
    const r = await runExample(join(EXAMPLES, name), bin, args)
    try {
      expect(r.code, r.output).toBe(0)
      expect(r.summary.plan.count).toBe(Math.min(files, workers))
      expect(r.summary.plan.reason).toContain(`${files} test files`)
      expect(r.summary.clones).toBe(r.summary.plan.count)
      // A URL server: teardown handed the drops to its dropper, which runExample waited for.
      expect(r.summary.dropperPid).toBeGreaterThan(0)
      expect(await leftovers(r.summary.runId)).toEqual([])
    } finally {
      // The example's template is kept by design for its next run; this test's server is left as found: a
      // template this run built is dropped, one it reused (another run's) is not.
      if (!r.summary.template.reused) await dropDatabase(r.summary.template.name)
    }
  })
})

describe('examples/vitest-sqlite', () => {
  test('passes as written with no server at all (dialect: sqlite): a database file per worker (2), no clone file left', async () => {
    const dir = join(EXAMPLES, 'vitest-sqlite')
    const files = join(dir, 'node_modules', '.cache', 'workerdb', 'sqlite')
    // No WORKERDB_URL: the config's `dialect` chooses the files' default directory.
    const r = await runExample(dir, 'vitest/vitest.mjs', ['run'], { WORKERDB_URL: '' })
    try {
      expect(r.code, r.output).toBe(0)
      expect(r.output).toMatch(/directory .*node_modules\/\.cache\/workerdb\/sqlite .*: SQLite 3\.\d+/)
      expect(r.summary.plan).toEqual({ count: 2, reason: expect.stringContaining('2 test files') })
      expect(r.summary.clones).toBe(2)
      expect(readdirSync(files).filter((f) => f.includes(`_${r.summary.runId}_`))).toEqual([])
    } finally {
      // The template is kept for the next run by design; the directory is the example's own cache.
      rmSync(files, { recursive: true, force: true })
    }
  })
})

// The MariaDB example as written, on MariaDB and on MySQL: only the URL changes.
const mysqlFamily = useKindServers(import.meta.url).servers.filter((server) => server.name !== 'sqlite')

describe.each(mysqlFamily)('examples/jest-mariadb on $label', (server) => {
  test(`passes as written on ${server.label} (WORKERDB_URL=mysql://…): one clone per worker (3), and leaves no clone behind`, async () => {
    await server.ready?.()
    // The URL a user puts in WORKERDB_URL, never in the config: the example's config says only `dialect: 'mysql'`.
    const r = await runExample(join(EXAMPLES, 'jest-mariadb'), 'jest/bin/jest.js', ['--ci'], { WORKERDB_URL: server.url })
    try {
      expect(r.code, r.output).toBe(0)
      expect(r.output).toMatch(/Tests: +8 passed, 8 total/)
      expect(r.summary.plan).toEqual({ count: 3, reason: expect.stringMatching(/^jest 30, .*3 test files/) })
      expect(r.summary.clones).toBe(3)
      expect(r.summary.dropperPid).toBeGreaterThan(0)
      expect(await mysqlRunLeftovers(r.summary.runId, server.url)).toEqual([])
    } finally {
      // As for the PostgreSQL examples: a template this run built is dropped, one it reused is left; and a
      // failed run's clones go too.
      for (const name of await mysqlRunLeftovers(r.summary.runId, server.url)) await mysqlDropDatabase(name, server.url)
      if (!r.summary.template.reused) await mysqlDropDatabase(r.summary.template.name, server.url)
    }
  })
})

describe('examples/playwright-api', () => {
  test('passes as written: an app server per Playwright worker, each on its own clone (workers: 2), no clone left', async () => {
    const r = await runExample(join(EXAMPLES, 'playwright-api'), '@playwright/test/cli.js', ['test'])
    try {
      expect(r.code, r.output).toBe(0)
      expect(r.output).toMatch(/7 passed/)
      // Playwright's globalSetup runs before the test list exists: a clone for every worker it may start.
      expect(r.summary.plan).toEqual({ count: 2, reason: expect.stringMatching(/^playwright 1\.\d+\.\d+, workers 2$/) })
      expect(r.summary.clones).toBe(2)
      expect(r.summary.dropperPid).toBeGreaterThan(0)
      expect(await leftovers(r.summary.runId)).toEqual([])
    } finally {
      if (!r.summary.template.reused) await dropDatabase(r.summary.template.name)
    }
  })
})

describe('examples/playwright-api, shared webServer', () => {
  test('passes as written with one app server for every worker: its writes in its own database, each worker\'s clone untouched', async () => {
    const dir = join(EXAMPLES, 'playwright-api')
    // The one database the shared app server uses, migrated like the project: made here, dropped after.
    const shared = `e2e_shared_app_${process.pid}`
    await dropDatabase(shared)
    await adminQuery(`create database "${shared}"`)
    let r: Awaited<ReturnType<typeof runExample>> | undefined
    try {
      const sharedUrl = withDatabase(serverUrl(), shared)
      await adminQuery(readFileSync(join(dir, 'migrations', '0001_todos.sql'), 'utf8'), [], sharedUrl)
      r = await runExample(dir, '@playwright/test/cli.js', ['test', '--config', 'playwright.shared-server.config.ts'], {
        SHARED_DATABASE_URL: sharedUrl, SHARED_APP_PORT: String(await freePort()),
      })
      expect(r.code, r.output).toBe(0)
      expect(r.output).toMatch(/5 passed/)
      // Everything the tests posted went to the shared database.
      const [{ n }] = await adminQuery<{ n: number }>('select count(*)::int as n from todos', [], sharedUrl)
      expect(n).toBe(5)
      expect(await leftovers(r.summary.runId)).toEqual([])
    } finally {
      if (r && !r.summary.template.reused) await dropDatabase(r.summary.template.name)
      await dropDatabase(shared)
    }
  })
})

describe('examples/monorepo', () => {
  test('one root config; the Vitest and the Jest package run at the same time, each on its own template, no collision', async () => {
    const root = join(EXAMPLES, 'monorepo', 'packages')
    // What `pnpm -r --parallel test` does: both suites at once against one server.
    const [api, jobs] = await Promise.all([
      runExample(join(root, 'api'), 'vitest/vitest.mjs', ['run']),
      runExample(join(root, 'jobs'), 'jest/bin/jest.js', ['--ci']),
    ])
    try {
      expect(api.code, api.output).toBe(0)
      expect(jobs.code, jobs.output).toBe(0)
      // Each package's own migrations, so each its own template; distinct runs, so distinct clones.
      expect(api.summary.template.name).not.toBe(jobs.summary.template.name)
      expect(api.summary.runId).not.toBe(jobs.summary.runId)
      expect(api.summary.plan.reason).toMatch(/^vitest 4, .*3 test files/)
      expect(jobs.summary.plan.reason).toMatch(/^jest 29, .*3 test files/)
      expect(api.summary.clones).toBe(2)
      expect(jobs.summary.clones).toBe(2)
      expect(await leftovers(api.summary.runId)).toEqual([])
      expect(await leftovers(jobs.summary.runId)).toEqual([])
    } finally {
      for (const r of [api, jobs]) if (!r.summary.template.reused) await dropDatabase(r.summary.template.name)
    }
  })
})
