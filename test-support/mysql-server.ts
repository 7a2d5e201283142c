/**
 * A MySQL server (Oracle's, not MariaDB) for the tests of the MySQL flavour: WORKERDB_TEST_ORACLE_MYSQL_URL
 * when set; otherwise a container of WORKERDB_TEST_MYSQL_IMAGE (default workerdb/mysql:sid-local, which
 * `node scripts/db-image.mjs --kind mysql` builds from Debian packages), started here once per test run and
 * removed at its end. Its URL reaches the test files through the environment, with no wait: a file waits
 * for the server itself (oracleMysqlUrl), so the server starts while other files run.
 *
 * Without an engine or the image, WORKERDB_TEST_ORACLE_MYSQL_MISSING says why, and the files that need the
 * server skip (or fail, under WORKERDB_TEST_CONTAINERS=required). A test run killed before its teardown
 * leaves its container; the next run removes every one whose starting process is gone. `pnpm bench` starts
 * the MySQL of its mysql row the same way (startMysqlContainer), and a test that changes a server global
 * starts a MariaDB or MySQL of its own (ownMysqlServer).
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { skipWithoutContainer } from './skips.mjs'

const LABEL = 'org.workerdb.test=oracle-mysql'
const PID_LABEL = 'org.workerdb.test.pid'

function docker(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Containers this setup started in runs whose process is gone. */
function removeOrphans(): void {
  const listed = docker(['ps', '-a', '--filter', `label=${LABEL}`, '--format', `{{.ID}} {{.Label "${PID_LABEL}"}}`])
  const dead = listed.out.split('\n').filter(Boolean).map((line) => line.split(' '))
    .filter(([, pid]) => !alive(Number(pid))).map(([id]) => id!)
  if (dead.length) docker(['rm', '-f', '-v', ...dead])
}

/** The default MySQL image: `node scripts/db-image.mjs --kind mysql` builds it from Debian packages. */
export const MYSQL_IMAGE = process.env.WORKERDB_TEST_MYSQL_IMAGE || 'workerdb/mysql:sid-local'

/**
 * Why no container of `image` can start here (no engine, or the image is not on it), or undefined when one
 * can. `kind`: what `scripts/db-image.mjs --kind` builds it (default: MariaDB's image when its name says so, else MySQL's).
 */
export function containerMissing(image: string, kind = /mariadb/i.test(image) ? 'mariadb' : 'mysql'): string | undefined {
  const version = docker(['version', '--format', '{{.Server.Version}}'])
  if (!version.ok) return `no Docker engine answers (\`docker version\`: ${version.out.split('\n').at(-1)})`
  if (!docker(['image', 'inspect', image]).ok) return `the image ${image} is not on this engine: build it with \`node scripts/db-image.mjs --kind ${kind}\``
  return undefined
}

/** The default MariaDB image: `node scripts/db-image.mjs --kind mariadb` builds it from Debian packages. */
export const MARIADB_IMAGE = process.env.WORKERDB_TEST_MARIADB_IMAGE || 'workerdb/mariadb:10.11-local'

/**
 * A server of one test's own, MariaDB or MySQL, started now and answering, for a test that changes a
 * server global: the servers other test files share must never see it. The caller removes it.
 */
export async function ownMysqlServer(product: 'MariaDB' | 'MySQL'): Promise<MysqlContainer> {
  const started = startMysqlContainer(product === 'MariaDB' ? MARIADB_IMAGE : MYSQL_IMAGE, ['--skip-log-bin', '--innodb-flush-log-at-trx-commit=0'])
  if (typeof started === 'string') throw new Error(`no ${product} server of this test's own: ${started}`)
  try {
    await mysqlAnswers(started.url)
  } catch (err) {
    started.remove()
    throw err
  }
  return started
}

/** A MySQL container of this process: its root URL on 127.0.0.1, the host pid of its mysqld, and its removal. */
export interface MysqlContainer {
  id: string
  url: string
  /** The server process as this machine sees it (the entrypoint execs mysqld), for its CPU; undefined if unknown. */
  pid?: number
  remove(): void
}

/**
 * Starts a container of `image` (MySQL's or MariaDB's) with the server's `serverArgs` and `docker run`'s
 * `dockerArgs`, labelled with this process's pid (the next start removes those of processes that are gone),
 * published on a free port of 127.0.0.1, root without a password; or says why it could not. Does not wait
 * for the server: mysqlAnswers does.
 */
export function startMysqlContainer(image: string, serverArgs: string[], dockerArgs: string[] = []): MysqlContainer | string {
  const missing = containerMissing(image)
  if (missing) return missing
  removeOrphans()
  const started = docker(['run', '-d', '--rm', '--label', LABEL, '--label', `${PID_LABEL}=${process.pid}`,
    '-e', 'MYSQL_ALLOW_EMPTY_PASSWORD=1', '-p', '127.0.0.1::3306', ...dockerArgs, image, ...serverArgs])
  if (!started.ok) return `\`docker run ${image}\` failed: ${started.out.split('\n').at(-1)}`
  const id = started.out.split('\n').at(-1)!
  const remove = () => { docker(['rm', '-f', '-v', id]) }
  const port = /:(\d+)\s*$/.exec(docker(['port', id, '3306/tcp']).out.split('\n')[0] ?? '')?.[1]
  if (!port) {
    remove()
    return `the container of ${image} published no port`
  }
  const pid = Number(docker(['inspect', '--format', '{{.State.Pid}}', id]).out) || undefined
  return { id, url: `mysql://root@127.0.0.1:${port}/`, pid, remove }
}

export default function setup(): (() => void) | undefined {
  if (process.env.WORKERDB_TEST_ORACLE_MYSQL_URL) return undefined
  // Durability off and no binary log: the tests check what is copied, not how safely it is kept.
  const started = startMysqlContainer(MYSQL_IMAGE, ['--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=OFF'])
  if (typeof started === 'string') {
    process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING = started
    return undefined
  }
  process.env.WORKERDB_TEST_ORACLE_MYSQL_URL = started.url
  return started.remove
}

/** Resolves once the MySQL server at `url` takes a connection; rejects after `timeoutMs` with the last error. */
export async function mysqlAnswers(url: string, timeoutMs = 90_000): Promise<void> {
  // mysql2 is a dev dependency of the core package, not of the workspace root.
  const mysql = createRequire(new URL('../packages/core/package.json', import.meta.url))('mysql2/promise') as {
    createConnection(url: string): Promise<{ end(): Promise<void> }>
  }
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      const conn = await mysql.createConnection(url)
      await conn.end()
      return
    } catch (err) {
      if (Date.now() > until) throw new Error(`the MySQL server at ${url} did not answer in ${timeoutMs / 1000} s: ${(err as Error).message}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/**
 * In a test file: the MySQL server's URL once it answers (it may still be starting), or an error saying
 * why there is none.
 */
export async function oracleMysqlUrl(timeoutMs = 90_000): Promise<string> {
  const url = process.env.WORKERDB_TEST_ORACLE_MYSQL_URL
  if (!url) throw new Error(`no MySQL server for these tests: ${process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING ?? 'WORKERDB_TEST_ORACLE_MYSQL_URL is not set'}`)
  await mysqlAnswers(url, timeoutMs)
  return url
}

/**
 * In a test file: true when its MySQL tests are to be skipped (no server, and WORKERDB_TEST_CONTAINERS is
 * not 'required'), recorded and said; under 'required' they run, and fail with the reason.
 */
export function skipOracleMysql(file: string): boolean {
  return skipWithoutContainer(file, process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING, 'MySQL')
}
