/**
 * Per-worker roles (config `roles`) under real runners. Issue 22: a NestJS suite's setup ran
 * `ALTER ROLE app_role …` in every file; two workers did it at once and one failed with "tuple concurrently
 * updated". Here two workers (Vitest 4 forks, Jest 29 workers) each connect as their own role through the
 * env map (`roleUrl:app`, `role:app`) and ALTER it at the same moment, many times, inside transactions that
 * hold the row a while: no error, each worker on its own role and clone, and once the run is over no role
 * of it is left. The same files on one shared role fail as the issue did (the control: the scenario does
 * race). A run killed with SIGKILL leaves its roles; the next run (Jest) or `workerdb sweep` (Vitest) drops
 * them, and nothing of the dead run stays on the server.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import {
  adminQuery, awaitDroppers, childEnv, describeRun, dropRole, leftoverClones, rolesWithPrefix, runGroup, runVitest, useScenarios,
  type Project, type RunResult,
} from '../support/harness.js'
import { describeRun as describeJestRun, runJest, useJestScenarios, type JestProject, type JestRunResult } from '../support/jest-harness.js'
import { collectEvidence, databaseLeaks, evidenceLeaks, kill, reapGroup, startJest, startVitest, victimLines, waitFor, type Victim } from '../support/chaos.js'

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'packages', 'core', 'dist', 'cli.js')
const scenarios = useScenarios()
const jestScenarios = useJestScenarios()

/** How many ALTER ROLE transactions each file runs, each holding the row for 20 ms. */
const ROUNDS = 15
const ENV = { DATABASE_URL: 'url', DATABASE_APP_URL: 'roleUrl:app', DATABASE_APP_USER: 'role:app' }

/**
 * A test file that works as its worker's role: connects with DATABASE_APP_URL, reads the migrated table,
 * creates one of its own, waits until every file of the run is ready (so the workers race), then runs
 * ROUNDS transactions of `ALTER ROLE <its role> SET work_mem` + a short sleep. With E2E_SHARED_ROLE set it
 * does what the suite did instead: every file alters that one role (through DATABASE_URL). While
 * the file `hold` exists in the scenario dir, it then waits (a run to be killed in the middle of).
 */
function fileSource(framework: 'vitest' | 'jest', name: string, peers: number): string {
  const head = framework === 'vitest'
    ? `import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { expect, test } from 'vitest'
import { getWorkerDatabase } from '@workerdb/vitest'
`
    : `const { appendFileSync, existsSync, readFileSync } = require('node:fs')
const { join } = require('node:path')
const pg = require('pg')
const { getWorkerDatabase } = require('@workerdb/jest')
`
  return `${head}
const FILE = ${JSON.stringify(name)}
const PEERS = ${peers}
const ROUNDS = ${ROUNDS}
const HOLD = join(process.cwd(), 'hold')
const log = (line) => appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: FILE, pid: process.pid, ...line }) + '\\n')
const lines = () => readFileSync(process.env.E2E_RESULTS, 'utf8').split('\\n').filter(Boolean).map((l) => JSON.parse(l))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

test(FILE, async () => {
  const wdb = getWorkerDatabase()
  const shared = process.env.E2E_SHARED_ROLE
  const role = shared || process.env.DATABASE_APP_USER
  const client = new pg.Client({ connectionString: shared ? process.env.DATABASE_URL : process.env.DATABASE_APP_URL })
  await client.connect()
  try {
    const { rows: [who] } = await client.query('select current_user as "user", current_database() as db')
    log({ event: 'connected', user: who.user, database: who.db, runId: wdb.runId })
    const { rows: [seed] } = await client.query('select count(*)::int as n from e2e_seed')
    await client.query('create table mine (id int)')
    log({ event: 'ready', runId: wdb.runId })
    const until = Date.now() + 30000
    while (lines().filter((l) => l.event === 'ready' && l.runId === wdb.runId).length < PEERS) {
      if (Date.now() > until) throw new Error('the other workers never got ready: the files did not run at the same time')
      await sleep(10)
    }
    const errors = []
    const start = Date.now()
    for (let i = 0; i < ROUNDS; i++) {
      try {
        await client.query('begin')
        await client.query('alter role "' + role + '" set work_mem = \\'' + (i + 2) + 'MB\\'')
        await client.query('select pg_sleep(0.02)')
        await client.query('commit')
      } catch (err) {
        errors.push(String(err.message))
        await client.query('rollback').catch(() => {})
      }
    }
    const end = Date.now()
    while (existsSync(HOLD)) await sleep(50)
    log({ event: 'done', user: who.user, database: who.db, wdbDatabase: wdb.database, runId: wdb.runId, role, roles: wdb.roles || null, seed: seed.n, start, end, errors })
    expect(errors).toEqual([])
  } finally {
    await client.end()
  }
})
`
}

const configJson = (prefix: string) => JSON.stringify({ prefix, migrate: { sql: './migrations' }, roles: ['app'], env: ENV }, null, 2)

function vitestProject(tag: string): Project {
  const project = scenarios.project({ tag, vitest: 4, files: 0, config: { pool: 'forks', maxWorkers: 2, include: ['test/**/*.test.mjs'] } })
  writeFileSync(join(project.dir, 'workerdb.config.mjs'), `export default ${configJson(project.prefix)}\n`)
  for (const name of ['file01', 'file02']) writeFileSync(join(project.dir, 'test', `${name}.test.mjs`), fileSource('vitest', name, 2))
  return project
}

function jestProject(tag: string): JestProject {
  const project = jestScenarios.project({ jest: 29, files: 0, tag, config: { maxWorkers: 2 } })
  mkdirSync(join(project.dir, 'test'), { recursive: true })
  writeFileSync(join(project.dir, 'workerdb.config.json'), configJson(project.prefix))
  for (const name of ['file01', 'file02']) {
    const file = join(project.dir, 'test', `${name}.test.js`)
    writeFileSync(file, fileSource('jest', name, 2))
  }
  return project
}

interface Done { file: string; user: string; database: string; wdbDatabase: string; runId: string; role: string; roles: Record<string, { name: string }> | null; seed: number; start: number; end: number; errors: string[] }

/** What a passing run with per-worker roles must show; empty = all good. */
function roleProblems(prefix: string, r: { code: number | null; output: string; lines: object[] }): string[] {
  const p: string[] = []
  if (r.code !== 0) p.push(`exited with ${r.code}`)
  if (/tuple concurrently updated/.test(r.output)) p.push('"tuple concurrently updated" in the output')
  const done = (r.lines as Array<{ event?: string }>).filter((l) => l.event === 'done') as unknown as Done[]
  if (done.length !== 2) p.push(`${done.length} files finished, expected 2`)
  for (const d of done) {
    if (d.user !== `${d.database}_role_app`) p.push(`${d.file} connected as ${d.user}, not as its clone's role ${d.database}_role_app`)
    if (d.role !== d.user) p.push(`${d.file}: DATABASE_APP_USER is ${d.role}, the connection's user ${d.user}`)
    if (d.database !== d.wdbDatabase || !d.database.startsWith(`${prefix}_`)) p.push(`${d.file} is on ${d.database}, its worker's clone is ${d.wdbDatabase}`)
    if (d.roles?.app?.name !== d.user) p.push(`${d.file}: getWorkerDatabase().roles is ${JSON.stringify(d.roles)}`)
    if (d.seed !== 1) p.push(`${d.file} read ${d.seed} seed rows as its role`)
    if (d.errors.length) p.push(`${d.file}: ${d.errors.join('; ')}`)
  }
  if (new Set(done.map((d) => d.user)).size !== done.length) p.push(`two files shared a role: ${done.map((d) => d.user).join(', ')}`)
  const [a, b] = done
  if (a && b && !(a.start < b.end && b.start < a.end)) p.push(`the two files' ALTER ROLE loops did not overlap (${a.start}–${a.end}, ${b.start}–${b.end})`)
  return p
}

/** Once the run and its background dropper are done: no role and no clone of the prefix on the server. */
async function nothingLeft(prefix: string, output: string): Promise<string[]> {
  const stuck = await awaitDroppers(output)
  return [
    ...stuck.map((s) => `dropper still running: ${s}`),
    ...(await rolesWithPrefix(prefix)).map((r) => `role ${r} left on the server`),
    ...(await leftoverClones(prefix)).map((d) => `database ${d} left on the server`),
  ]
}

describe('two workers altering their roles at the same time', () => {
  test('vitest 4 (forks, 2 workers): each file works as its own role; no "tuple concurrently updated"; the roles are gone after the run', async () => {
    const project = vitestProject('rov')
    const r: RunResult = await runVitest(project)
    expect(roleProblems(project.prefix, r), describeRun(r)).toEqual([])
    expect(r.stderr, describeRun(r)).toMatch(/2 clones ready in \d+ ms \(.*per-worker role app\)/)
    expect(await nothingLeft(project.prefix, r.output), describeRun(r)).toEqual([])

    // The control: the same files on one shared role, as the suite had it, do race and fail.
    const shared = `${project.prefix}_shared_app`
    await adminQuery(`create role "${shared}"`)
    try {
      await adminQuery(`alter role "${shared}" set work_mem = '1MB'`)
      const c = await runVitest(project, { env: { E2E_SHARED_ROLE: shared }, tag: 'shared' })
      expect(c.code, describeRun(c)).not.toBe(0)
      expect(c.output, describeRun(c)).toMatch(/tuple concurrently updated/)
      await awaitDroppers(c.output)
    } finally {
      await dropRole(shared)
    }
  })

  test('jest 29 (2 workers): each file works as its own role; no "tuple concurrently updated"; the roles are gone after the run', async () => {
    const project = jestProject('roj')
    const r: JestRunResult = await runJest(project)
    expect(r.ran?.inBand, describeJestRun(r)).toBe(false)
    expect(roleProblems(project.prefix, r), describeJestRun(r)).toEqual([])
    expect(await nothingLeft(project.prefix, r.output), describeJestRun(r)).toEqual([])
  })
})

describe('kill -9 with per-worker roles', () => {
  async function killWhileHeld(v: Victim, prefix: string): Promise<{ roles: string[]; evidence: ReturnType<typeof collectEvidence> }> {
    await waitFor('both workers to connect as their roles', () => victimLines(v).filter((l) => l.event === 'connected').length >= 2 || undefined, { while: v.running })
    const roles = await rolesWithPrefix(prefix)
    expect(roles, v.output()).toHaveLength(2)
    const evidence = collectEvidence(v, 'tests, as the per-worker roles')
    await kill(v, 'group')
    reapGroup(v)
    // The dead run left them: what follows must drop them.
    expect(await rolesWithPrefix(prefix)).toEqual(roles)
    return { roles, evidence }
  }

  test('jest 29: SIGKILL to the group while both workers are connected as their roles; the next run sweeps the roles and leaves none', async () => {
    const project = jestProject('rok')
    const hold = join(project.dir, 'hold')
    writeFileSync(hold, '')
    const v = startJest(project)
    try {
      const { evidence } = await killWhileHeld(v, project.prefix)
      rmSync(hold, { force: true })
      const next = await runJest(project)
      expect(roleProblems(project.prefix, next), describeJestRun(next)).toEqual([])
      expect(next.stderr, describeJestRun(next)).toMatch(/swept 2 clones left by dead runs/)
      expect(next.stderr, describeJestRun(next)).toMatch(/swept 2 per-worker roles left by dead runs/)
      expect([...await evidenceLeaks(evidence), ...await databaseLeaks(project.prefix), ...await nothingLeft(project.prefix, next.output)], describeJestRun(next)).toEqual([])
    } finally {
      if (existsSync(hold)) rmSync(hold, { force: true })
      reapGroup(v)
    }
  })

  test('vitest 4: SIGKILL to the group while both workers are connected as their roles; `workerdb sweep` drops the clones, then the roles', async () => {
    const project = vitestProject('rok')
    const hold = join(project.dir, 'hold')
    writeFileSync(hold, '')
    const v = startVitest(project)
    try {
      const { roles, evidence } = await killWhileHeld(v, project.prefix)
      const sweep = await runGroup(process.execPath, [CLI, 'sweep', '--json'], { cwd: project.dir, env: childEnv({}, join(project.dir, 'sweep.jsonl'), false), timeoutMs: 60_000 })
      expect(sweep.code, sweep.stderr).toBe(0)
      const data = JSON.parse(sweep.stdout)
      expect(data.roles.map((x: { name: string }) => x.name).sort(), sweep.stdout).toEqual(roles)
      expect(data.databases.filter((x: { kind: string }) => x.kind === 'clone'), sweep.stdout).toHaveLength(2)
      expect([...await evidenceLeaks(evidence), ...await databaseLeaks(project.prefix), ...await rolesWithPrefix(project.prefix)]).toEqual([])
    } finally {
      if (existsSync(hold)) rmSync(hold, { force: true })
      reapGroup(v)
    }
  })
})
