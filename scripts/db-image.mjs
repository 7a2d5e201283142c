#!/usr/bin/env node
/**
 * `node scripts/db-image.mjs [--kind postgres|mariadb|mysql] [--image NAME] [--force]`: builds a database image
 * from Debian's packages alone — PostgreSQL 15 (the default), MariaDB 10.11 (both Debian 12), or MySQL (Debian
 * unstable's mysql-server-core: Oracle's MySQL is in no stable Debian release) — for a machine that reaches
 * Debian's package mirror but no image registry (workerdb's CI; a locked-down network). Prints the image
 * name on stdout, progress on stderr.
 *
 *   1. a Debian root file system of the kind's suite: `debootstrap --variant=minbase` (root only), cached as
 *      a tarball in ~/.cache/workerdb/ (WORKERDB_IMAGE_CACHE), so a rebuild does not download it again;
 *   2. `docker import` of that tarball as workerdb/debian:<suite>-minbase;
 *   3. `docker build` of scripts/db-image/<kind>/Dockerfile on it, with scripts/db-image/ as its context
 *      (Debian's package, the data dir made at build time, an entrypoint honouring the official image's
 *      POSTGRES_*, MARIADB_* or MYSQL_* variables: postgres/, and mysql-family/ for MariaDB and MySQL).
 *
 * Idempotent: an image whose recipe label matches its recipe (Dockerfile + entrypoint) is kept as it is,
 * and each step is skipped when its result exists. Temporary dirs are removed however the build ends.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Per kind: the image's default name, the Debian suite it comes from, what it is built of, and its recipe:
 * the files under scripts/db-image/ its build reads (its Dockerfile first).
 */
export const KINDS = {
  postgres: { image: 'workerdb/postgres:15-local', suite: 'bookworm', what: "Debian's postgresql-15", recipe: ['postgres/Dockerfile', 'postgres/docker-entrypoint.sh'] },
  mariadb: { image: 'workerdb/mariadb:10.11-local', suite: 'bookworm', what: "Debian's mariadb-server", recipe: ['mariadb/Dockerfile', 'mysql-family/docker-entrypoint.sh'] },
  mysql: { image: 'workerdb/mysql:sid-local', suite: 'sid', what: "Debian unstable's mysql-server-core", recipe: ['mysql/Dockerfile', 'mysql-family/docker-entrypoint.sh'] },
}
export const DEFAULT_IMAGE = KINDS.postgres.image
/** The base image a suite's kinds are built on. */
export const baseImage = (suite) => `workerdb/debian:${suite}-minbase`
/** Per suite: its apt sources (security fixes come with the package install in the Dockerfile). */
const SOURCES = {
  bookworm: (mirror) => [`deb ${mirror} bookworm main`, `deb ${mirror} bookworm-updates main`, 'deb http://deb.debian.org/debian-security bookworm-security main'],
  sid: (mirror) => [`deb ${mirror} sid main`],
}
const recipesDir = join(dirname(fileURLToPath(import.meta.url)), 'db-image')
const MIRROR = process.env.WORKERDB_DEBIAN_MIRROR || 'http://deb.debian.org/debian'

const log = (line) => process.stderr.write(`db-image · ${line}\n`)
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`

function run(cmd, args, o = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...o })
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`)
  return r
}

function must(cmd, args, o = {}) {
  const r = run(cmd, args, o)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${(r.stderr ?? '').slice(-4000)}`)
  return r
}

/** The hash of what makes the image: a changed Dockerfile or entrypoint builds a new one. */
export function recipeHash(kind = 'postgres') {
  const h = createHash('sha256')
  for (const f of KINDS[kind].recipe) h.update(f).update(readFileSync(join(recipesDir, f)))
  return h.digest('hex').slice(0, 16)
}

function imageLabel(image, label) {
  const r = run('docker', ['image', 'inspect', '--format', `{{ index .Config.Labels "${label}" }}`, image])
  return r.status === 0 ? r.stdout.trim() : undefined
}

const cacheDir = () => process.env.WORKERDB_IMAGE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'workerdb')

/** The debootstrap root file system of `suite` as a tarball, made once and cached. */
function rootfsTarball(suite) {
  const tarball = join(cacheDir(), `debian-${suite}-minbase.tar`)
  if (existsSync(tarball)) {
    log(`root file system: cached ${tarball}`)
    return tarball
  }
  if (process.getuid?.() !== 0) throw new Error('debootstrap needs root: run this script as root once (the tarball is cached for later builds)')
  if (run('debootstrap', ['--version']).status !== 0) throw new Error('debootstrap is not installed: `apt-get install debootstrap`')
  mkdirSync(cacheDir(), { recursive: true })
  const scratch = mkdtempSync(join(tmpdir(), 'workerdb-rootfs-'))
  const t0 = performance.now()
  try {
    const rootfs = join(scratch, 'rootfs')
    log(`debootstrap --variant=minbase ${suite} (${MIRROR})…`)
    must('debootstrap', ['--variant=minbase', suite, rootfs, MIRROR], { stdio: ['ignore', 'ignore', 'pipe'] })
    writeFileSync(join(rootfs, 'etc', 'apt', 'sources.list'), `${SOURCES[suite](MIRROR).join('\n')}\n`)
    rmSync(join(rootfs, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true })
    mkdirSync(join(rootfs, 'var', 'cache', 'apt', 'archives', 'partial'), { recursive: true })
    const partial = join(scratch, 'rootfs.tar')
    must('tar', ['-C', rootfs, '--numeric-owner', '-cf', partial, '.'])
    renameSync(partial, tarball)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  log(`root file system: ${tarball} (${secs(t0)})`)
  return tarball
}

/**
 * Makes sure the image of `kind` exists and was built from its recipe; builds what is missing. Returns the image name.
 * @param {{ kind?: 'postgres' | 'mariadb' | 'mysql', image?: string, force?: boolean }} [o]
 */
export function ensureDbImage(o = {}) {
  const kind = o.kind ?? 'postgres'
  if (!KINDS[kind]) throw new Error(`--kind ${kind}: not one of ${Object.keys(KINDS).join(', ')}`)
  const image = o.image || KINDS[kind].image
  const recipe = recipeHash(kind)
  if (run('docker', ['version', '--format', '{{.Server.Version}}']).status !== 0) {
    throw new Error('no Docker engine answers (`docker version` failed): start one first')
  }
  if (!o.force && imageLabel(image, 'org.workerdb.recipe') === recipe) {
    log(`${image}: up to date (recipe ${recipe})`)
    return image
  }
  const t0 = performance.now()
  const { suite } = KINDS[kind]
  const base = baseImage(suite)
  if (o.force || imageLabel(base, 'org.workerdb.base') === undefined) {
    const tarball = rootfsTarball(suite)
    const t1 = performance.now()
    must('docker', ['import', '--change', `LABEL org.workerdb.base=${suite}-minbase`, tarball, base])
    log(`${base}: imported (${secs(t1)})`)
  }
  log(`${image}: building (${KINDS[kind].what})…`)
  const t2 = performance.now()
  // Host networking: the build's apt-get then reaches the mirror however the engine's bridge is set up.
  must('docker', ['build', '--network', 'host', '--build-arg', `BASE=${base}`, '--label', `org.workerdb.recipe=${recipe}`, '-t', image, '-f', join(recipesDir, KINDS[kind].recipe[0]), recipesDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  log(`${image}: built (${secs(t2)}; ${secs(t0)} in all)`)
  return image
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2)
  const value = (name) => { const at = args.indexOf(name); return at >= 0 ? args[at + 1] : undefined }
  try {
    process.stdout.write(`${ensureDbImage({ kind: value('--kind'), image: value('--image'), force: args.includes('--force') })}\n`)
  } catch (err) {
    log(`FAILED: ${err.message}`)
    process.exit(1)
  }
}
