/**
 * The cleanup of one e2e test file's scenarios, whichever framework they run: after each test the process
 * groups of its runs are killed and its scenario dirs removed (pass or fail); after the file, every
 * database and role of its prefixes (templates too) is dropped, the manifests its killed runs left are
 * removed, and leftovers of e2e runs that died are swept.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { manifestDatabases, manifestDir } from '../../packages/core/src/runfile/manifest.js'
import { dropPrefix } from '../../test-support/pg.js'
import { killAll } from '../../test-support/processes.js'
import { oracleMysqlUrl, skipOracleMysql } from '../../test-support/mysql-server.js'
import { mysqlServer, sqliteServer, type KindServer } from './dialect/scenario.js'

export function useScenarioCleanup<P extends { prefix: string; remove(): void }>(sweepStale: () => Promise<void>): (project: P) => P {
  const prefixes = new Set<string>()
  const projects = new Set<P>()
  afterEach(() => {
    killAll()
    for (const p of projects) p.remove()
    projects.clear()
  })
  afterAll(async () => {
    killAll()
    // All prefixes at once: each DROP DATABASE waits for a checkpoint, and concurrent drops share one.
    await Promise.all([...prefixes].map((p) => dropPrefix(p)))
    removeManifestsOf(prefixes)
    await sweepStale()
  })
  return (project) => {
    prefixes.add(project.prefix)
    projects.add(project)
    return project
  }
}

/**
 * The manifests in the temp dir that name a database of these prefixes: a killed run's, whose prefix no later
 * run used (workerdb leaves a dead run's manifest to its own project's next run). Every run of the prefixes
 * is over by now.
 */
function removeManifestsOf(prefixes: ReadonlySet<string>): void {
  const dir = manifestDir()
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'))
  } catch {
    return
  }
  const ours = ({ database }: { database: string }) => [...prefixes].some((p) => database.startsWith(`${p}_`))
  for (const name of names) {
    try {
      if (manifestDatabases(JSON.parse(readFileSync(join(dir, name), 'utf8'))).some(ours)) rmSync(join(dir, name), { force: true })
    } catch {
      // Being written, or already gone.
    }
  }
}

/**
 * The MariaDB, MySQL and SQLite servers of one e2e test file (MySQL: test-support/mysql-server.ts's, unless
 * it is skipped there; `file` is the test file's import.meta.url): after the file, every prefix its scenarios
 * used there is dropped (templates too) and SQLite's directory removed. `used` records a scenario's prefix
 * on a server.
 */
export function useKindServers(file: string): { servers: KindServer[]; used(server: KindServer, prefix: string): void } {
  const oracle = skipOracleMysql(file) ? [] : [mysqlServer(process.env.WORKERDB_TEST_ORACLE_MYSQL_URL ?? 'mysql://root@127.0.0.1:1/', 'mysql', () => oracleMysqlUrl())]
  const servers = [mysqlServer(), ...oracle, sqliteServer()]
  const prefixes: Array<[KindServer, string]> = []
  afterAll(async () => {
    for (const [server, prefix] of prefixes) await server.dropPrefix(prefix)
    for (const server of servers) server.close()
  })
  return { servers, used: (server, prefix) => { prefixes.push([server, prefix]) } }
}
