/**
 * Where the server binaries run from: the package in place, or a private copy in the temp dir when the
 * package's postinstall did not run or the server user cannot read it.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { WorkerDbError } from '../../errors.js'
import type { Logger } from '../../log.js'
import { missingSymlinks, packageName, readSymlinks, type EmbeddedBinaries } from './binaries.js'
import { blockedAncestor, unreadableEntry, type RunAs } from './run-as.js'

/** Makes a copied tree readable by everyone: copies keep their source modes, which may be private. */
function makeReadableByAll(p: string): void {
  const st = fs.lstatSync(p)
  if (st.isSymbolicLink()) return
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755)
    for (const name of fs.readdirSync(p)) makeReadableByAll(path.join(p, name))
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
    makeReadableByAll(staging)
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
export function usableBinDir(bins: EmbeddedBinaries, runAs: RunAs | undefined, log: Logger): string {
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
