/**
 * A MySQL server (Oracle's, not MariaDB) for the tests of the MySQL flavour: WORKERDB_TEST_ORACLE_MYSQL_URL
 * when set; otherwise a container of WORKERDB_TEST_MYSQL_IMAGE (default workerdb/mysql:sid-local, which
 * `node scripts/db-image.mjs --kind mysql` builds from Debian packages), started here once per test run and
 * removed at its end. Its URL reaches the test files through the environment, with no wait: a file waits
 * for the server itself (oracleMysqlUrl), so the server starts while other files run.
 *
 * Without an engine or the image, WORKERDB_TEST_ORACLE_MYSQL_MISSING says why, and the files that need the
 * server skip (or fail, under WORKERDB_TEST_CONTAINERS=required). A test run killed before its teardown
 * leaves its container; the next run removes every one whose starting process is gone.
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { lacks } from './skips.mjs'

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

export default function setup(): (() => void) | undefined {
  if (process.env.WORKERDB_TEST_ORACLE_MYSQL_URL) return undefined
  const image = process.env.WORKERDB_TEST_MYSQL_IMAGE || 'workerdb/mysql:sid-local'
  const missing = (why: string) => {
    process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING = why
    return undefined
  }
  const version = docker(['version', '--format', '{{.Server.Version}}'])
  if (!version.ok) return missing(`no Docker engine answers (\`docker version\`: ${version.out.split('\n').at(-1)})`)
  if (!docker(['image', 'inspect', image]).ok) return missing(`the image ${image} is not on this engine: build it with \`node scripts/db-image.mjs --kind mysql\``)
  removeOrphans()
  // Durability off and no binary log: the tests check what is copied, not how safely it is kept.
  const started = docker(['run', '-d', '--rm', '--label', LABEL, '--label', `${PID_LABEL}=${process.pid}`,
    '-e', 'MYSQL_ALLOW_EMPTY_PASSWORD=1', '-p', '127.0.0.1::3306', image,
    '--skip-log-bin', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=OFF'])
  if (!started.ok) return missing(`\`docker run ${image}\` failed: ${started.out.split('\n').at(-1)}`)
  const id = started.out.split('\n').at(-1)!
  const port = /:(\d+)\s*$/.exec(docker(['port', id, '3306/tcp']).out.split('\n')[0] ?? '')?.[1]
  if (!port) {
    docker(['rm', '-f', '-v', id])
    return missing(`the container of ${image} published no port`)
  }
  process.env.WORKERDB_TEST_ORACLE_MYSQL_URL = `mysql://root@127.0.0.1:${port}/`
  return () => {
    docker(['rm', '-f', '-v', id])
  }
}

/**
 * In a test file: the MySQL server's URL once it answers (it may still be starting), or an error saying
 * why there is none.
 */
export async function oracleMysqlUrl(timeoutMs = 90_000): Promise<string> {
  const url = process.env.WORKERDB_TEST_ORACLE_MYSQL_URL
  if (!url) throw new Error(`no MySQL server for these tests: ${process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING ?? 'WORKERDB_TEST_ORACLE_MYSQL_URL is not set'}`)
  // mysql2 is a dev dependency of the core package, not of the workspace root.
  const mysql = createRequire(new URL('../packages/core/package.json', import.meta.url))('mysql2/promise') as {
    createConnection(url: string): Promise<{ end(): Promise<void> }>
  }
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      const conn = await mysql.createConnection(url)
      await conn.end()
      return url
    } catch (err) {
      if (Date.now() > until) throw new Error(`the MySQL server at ${url} did not answer in ${timeoutMs / 1000} s: ${(err as Error).message}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/**
 * In a test file: true when its MySQL tests are to be skipped (no server, and WORKERDB_TEST_CONTAINERS is
 * not 'required'), recorded and said; under 'required' they run, and fail with the reason.
 */
export function skipOracleMysql(file: string): boolean {
  const missing = process.env.WORKERDB_TEST_ORACLE_MYSQL_MISSING
  const skip = process.env.WORKERDB_TEST_CONTAINERS !== 'required' && lacks('container engine', file, missing !== undefined)
  if (skip) console.log(`${file.split('/').at(-1)}: MySQL skipped: ${missing}`)
  return skip
}
