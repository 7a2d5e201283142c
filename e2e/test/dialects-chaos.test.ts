/**
 * The reliability suite on MariaDB and SQLite, with real Vitest 4 runs: a run killed with SIGKILL (the
 * whole process group) while its tests hold their clones leaves them behind, and the next run sweeps them
 * while keeping a look-alike that carries no marker; two runs at once on one server build the template
 * once and never share a clone.
 */
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { kill, reapGroup, startVitest, waitFor } from '../support/chaos.js'
import { groupMembers } from '../../test-support/processes.js'
import { describeRun, isolationProblems, runVitest, useScenarios } from '../support/harness.js'
import { useKindServers } from '../support/cleanup.js'
import { dialectFiles, type KindServer } from '../support/dialect/scenario.js'
import { testIf } from '../support/tier.js'

const require = createRequire(import.meta.url)
const scenarios = useScenarios()
const { servers, used } = useKindServers(import.meta.url)

/** A database with the run's prefix that workerdb did not make: no marker. */
async function makeLookalike(server: KindServer, name: string): Promise<void> {
  if (server.name !== 'sqlite') {
    const conn = await (require('mysql2/promise') as typeof import('mysql2/promise')).createConnection(server.url)
    try {
      await conn.query(`create database \`${name}\``)
    } finally {
      await conn.end()
    }
  } else {
    writeFileSync(join(fileURLToPath(server.url), `${name}.db`), '')
  }
}

const project = (server: KindServer, tag: string, holdMs: number) => {
  const p = scenarios.project({
    vitest: 4, files: 2, tag, holdMs, config: { pool: 'forks', maxWorkers: 4 },
    extraFiles: dialectFiles('mjs', holdMs),
  })
  used(server, p.prefix)
  return p
}

describe.each(servers)('$label', (server) => {
  if (server.ready) beforeAll(server.ready, 120_000)
  test('SIGKILL to the whole run while its tests hold their clones: the next run sweeps them, and keeps a look-alike', async () => {
    const p = project(server, `k${server.name.slice(0, 2)}`, 2500)
    const victim = startVitest(p, { env: { WORKERDB_URL: server.url } })
    // Killed once both clones exist and the tests are on them (they hold them for 2.5 s).
    const clones = await waitFor('the victim\'s two clones', async () => {
      const left = await server.leftoverClones(p.prefix)
      return left.length === 2 && /clones ready/.test(victim.output()) && left
    }, { timeoutMs: 60_000, while: victim.running })
    await new Promise((r) => setTimeout(r, 500))
    await kill(victim, 'group')
    // The runner is dead; its workers got the same SIGKILL and are gone once the kernel has reaped them.
    await waitFor('the killed run\'s workers to be gone', () => groupMembers(victim.pid).length === 0, { timeoutMs: 5_000 }).catch(() => {})
    expect(reapGroup(victim)).toEqual([])
    expect(await server.leftoverClones(p.prefix)).toEqual(clones)

    const lookalike = `${p.prefix}_lookalik_1`
    await makeLookalike(server, lookalike)
    const next = await runVitest(p, { timeoutMs: 60_000, env: { WORKERDB_URL: server.url } })
    expect(isolationProblems(p, next), describeRun(next)).toEqual([])
    // The next run's background sweep ends before its teardown does: the killed run's clones are gone.
    expect(await server.leftoverClones(p.prefix)).toEqual([lookalike])
    expect(next.stderr).toContain(lookalike)
    await server.drop(lookalike)
  })

  // GET_LOCK and the build are the same on both servers of the MySQL family: MySQL's run in a full run (support/tier.ts).
  testIf(server.name !== 'mysql')('two runs at once: the template built once, four clones, none shared', async () => {
    const p = project(server, `c${server.name.slice(0, 2)}`, 300)
    const env = { WORKERDB_URL: server.url }
    const [a, b] = await Promise.all([runVitest(p, { timeoutMs: 60_000, env, tag: 'a' }), runVitest(p, { timeoutMs: 60_000, env, tag: 'b' })])
    for (const r of [a, b]) expect(isolationProblems(p, r), describeRun(r)).toEqual([])
    const built = [a, b].filter((r) => /workerdb · template \w+: built/.test(r.stderr)).length
    expect(built).toBe(1)
    const used = [...a.done, ...b.done].map((d) => d.database)
    expect(new Set(used).size).toBe(4)
    expect(await server.leftoverClones(p.prefix)).toEqual([])
  })
})
