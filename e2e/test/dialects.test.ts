/**
 * The seed scenario on MariaDB and SQLite, under Vitest 4 and Jest 30: the same projects as on PostgreSQL
 * (2 files, maxWorkers 4) with only WORKERDB_URL changed. Every run: each file on the clone of its worker id,
 * holding it alone, reading the template's seed row; nothing left but the template; the template reused
 * after the first run. `npm test` runs each E2E_SEED_RUNS times (default 3).
 */
import { beforeAll, describe, expect, test } from 'vitest'
import { describeRun, isolationProblems, runVitest, useScenarios, vitestMatrix } from '../support/harness.js'
import {
  describeRun as describeJestRun, isolationProblems as jestIsolationProblems, jestMatrixRow, runJest, useJestScenarios,
} from '../support/jest-harness.js'
import { useKindServers } from '../support/cleanup.js'
import { dialectFiles, type KindServer } from '../support/dialect/scenario.js'

const RUNS = Number(process.env.E2E_SEED_RUNS ?? 3)
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

  test(`vitest 4, 2 files, maxWorkers 4, forks: ${RUNS} runs, 0 failures`, () => vitestMatrix(4, { pool: 'forks', mode: 'run', scenario: `${label} seed ×${RUNS}` }, async () => {
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
  if (server.name === 'sqlite') test(`vitest 5 on Node 22, the tests on node:sqlite: ${RUNS} runs, 0 failures`, () => vitestMatrix(5, { pool: 'forks', mode: 'run', scenario: `SQLite (node:sqlite) seed ×${RUNS}` }, async () => {
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

  test(`jest 30, 2 files, maxWorkers 4: ${RUNS} runs, 0 failures`, async () => {
    jestMatrixRow(30, { mode: 'run', scenario: `${label} seed ×${RUNS}` })
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
