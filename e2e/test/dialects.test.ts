/**
 * The seed scenario on MariaDB and SQLite, under Vitest 4 and Jest 30: the same projects as on PostgreSQL
 * (2 files, maxWorkers 4) with only WORKERDB_URL changed. Every run: each file on the clone of its worker id,
 * holding it alone, reading the template's seed row; nothing left but the template; the template reused
 * after the first run. Each runs SEED_RUNS times (support/tier.ts: once in `npm test`).
 */
import { beforeAll, describe, expect, test } from 'vitest'
import { awaitDroppers } from '../../test-support/processes.js'
import { describeRun, isolationProblems, runVitest, useScenarios, vitestMatrix } from '../support/harness.js'
import {
  describeRun as describeJestRun, isolationProblems as jestIsolationProblems, jestMatrixRow, runJest, useJestScenarios,
} from '../support/jest-harness.js'
import { useKindServers } from '../support/cleanup.js'
import { dialectFiles, type KindServer } from '../support/dialect/scenario.js'
import { SEED_RUNS as RUNS } from '../support/tier.js'

const HOLD_MS = 80
const vitestScenarios = useScenarios()
const jestScenarios = useJestScenarios()
const { servers, used } = useKindServers(import.meta.url)

/** Runs `once` RUNS times; each run's problems, plus what it left and whether it reused the template. */
async function repeat(server: KindServer, prefix: string, once: () => Promise<{ problems: string[]; stderr: string; describe: string }>): Promise<string[]> {
  const failures: string[] = []
  for (let i = 1; i <= RUNS; i++) {
    const r = await once()
    const left = await server.leftoverClones(prefix)
    if (left.length) r.problems.push(`clones left after the run: ${left.join(', ')}`)
    if (i > 1 && !/workerdb · template \w+: reused/.test(r.stderr)) r.problems.push('the template was not reused')
    if (r.problems.length) {
      failures.push(`run ${i}:\n  - ${r.problems.join('\n  - ')}\n${r.describe}`)
      await server.dropPrefix(prefix)
    }
  }
  return failures
}

describe.each(servers)('$label', (server) => {
  if (server.ready) beforeAll(server.ready, 120_000)
  const label = server.label

  test(`vitest 4, 2 files, maxWorkers 4, forks: ${RUNS} runs, 0 failures`, () => vitestMatrix(4, { pool: 'forks', mode: 'run', scenario: `${label} seed` }, async () => {
    const project = vitestScenarios.project({
      vitest: 4, files: 2, tag: `d${server.name.slice(0, 2)}`, holdMs: HOLD_MS, config: { pool: 'forks', maxWorkers: 4 },
      extraFiles: dialectFiles('mjs', HOLD_MS),
    })
    used(server, project.prefix)
    const failures = await repeat(server, project.prefix, async () => {
      const r = await runVitest(project, { timeoutMs: 60_000, env: { WORKERDB_URL: server.url } })
      return { problems: isolationProblems(project, r), stderr: r.stderr, describe: describeRun(r) }
    })
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
  }))

  // Vitest 5 runs on Node 22, whose own node:sqlite opens the clones instead of better-sqlite3 (and does
  // workerdb's own work there: the better-sqlite3 built for Node 20 does not load). Defined for SQLite only.
  if (server.name === 'sqlite') test(`vitest 5 on Node 22, the tests on node:sqlite: ${RUNS} runs, 0 failures`, () => vitestMatrix(5, { pool: 'forks', mode: 'run', scenario: `SQLite (node:sqlite) seed` }, async () => {
    const project = vitestScenarios.project({
      vitest: 5, files: 2, tag: 'dn', holdMs: HOLD_MS, config: { pool: 'forks', maxWorkers: 4 },
      extraFiles: dialectFiles('mjs', HOLD_MS),
    })
    used(server, project.prefix)
    const failures = await repeat(server, project.prefix, async () => {
      const r = await runVitest(project, { timeoutMs: 90_000, env: { WORKERDB_URL: server.url, E2E_SQLITE_DRIVER: 'node:sqlite' } })
      return { problems: isolationProblems(project, r), stderr: r.stderr, describe: describeRun(r) }
    })
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
  }))

  // Per-worker users and spares with only the URL changed: each file connects as its clone's own user
  // (DATABASE_URL: 'roleUrl:app'), and the second run takes the spares the first one's background process made.
  if (server.users) test('vitest 4, roles and spares, 2 runs: each file as its clone\'s own user; the second run starts from spares; no user left', async () => {
    const project = vitestScenarios.project({
      vitest: 4, files: 2, tag: `r${server.name.slice(0, 2)}`, holdMs: HOLD_MS, config: { pool: 'forks', maxWorkers: 2 },
      workerDb: { roles: ['app'], env: { DATABASE_URL: 'roleUrl:app' }, spares: 2 },
      extraFiles: dialectFiles('mjs', HOLD_MS),
    })
    used(server, project.prefix)
    // A user MySQL has not seen log in yet needs its key over plain TCP: the URL says so, and the users' URLs carry it.
    const url = new URL(server.url)
    if (server.name === 'mysql') url.searchParams.set('allowPublicKeyRetrieval', 'true')
    const problems: string[] = []
    for (let i = 1; i <= 2; i++) {
      const r = await runVitest(project, { timeoutMs: 90_000, env: { WORKERDB_URL: url.toString() } })
      problems.push(...isolationProblems(project, r).map((p) => `run ${i}: ${p}`))
      for (const d of r.done) if (d.user !== `${d.assigned}_role_app`) problems.push(`run ${i}: ${d.file} connected as ${d.user}, not ${d.assigned}_role_app`)
      if (i === 2 && !/\(2 from spares/.test(r.stderr)) problems.push(`run 2 did not start from 2 spares:\n${r.stderr.split('\n').filter((l) => l.includes('clones ready')).join('\n')}`)
      // The drops, and the spares, are the background process's: done before the next run looks.
      const stuck = await awaitDroppers(r.stderr)
      if (stuck.length) problems.push(`run ${i}: background dropper still running: ${stuck.join(', ')}`)
      const left = (await server.leftoverClones(project.prefix)).filter((n) => !n.startsWith(`${project.prefix}_sp_`))
      if (left.length) problems.push(`run ${i}: clones left: ${left.join(', ')}`)
      const users = await server.users!(project.prefix)
      if (users.length) problems.push(`run ${i}: users left: ${users.join(', ')}`)
      if (problems.length) problems.push(describeRun(r))
    }
    expect(problems, problems.join('\n')).toEqual([])
  })

  test(`jest 30, 2 files, maxWorkers 4: ${RUNS} runs, 0 failures`, async () => {
    jestMatrixRow(30, { mode: 'run', scenario: `${label} seed` })
    const project = jestScenarios.project({
      jest: 30, files: 2, tag: `d${server.name.slice(0, 2)}`, holdMs: HOLD_MS, config: { maxWorkers: 4 },
      extraFiles: dialectFiles('js', HOLD_MS),
    })
    used(server, project.prefix)
    const failures = await repeat(server, project.prefix, async () => {
      project.forgetTimings()
      const r = await runJest(project, { timeoutMs: 60_000, env: { WORKERDB_URL: server.url } })
      return { problems: jestIsolationProblems(project, r), stderr: r.stderr, describe: describeJestRun(r) }
    })
    expect(failures.length, `${failures.length}/${RUNS} runs failed\n\n${failures.slice(0, 3).join('\n\n')}`).toBe(0)
  })
})
