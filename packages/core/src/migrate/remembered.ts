/**
 * What a migration tool's own config file says (where its migrations are, what its ledger is called), read
 * by running the file — which can cost TypeScript and the ORM (~0.7 s) — remembered per content of the
 * file and the project files it imports, so that a warm run only bundles it (~50 ms) to see whether they
 * changed. What is remembered must not depend on anything else: paths and globs, never the files they match.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { bundle } from '../bundle.js'
import { WorkerDbError } from '../errors.js'
import { byteOrder } from './files.js'

export interface Remembered<T> {
  facts: T
  /** The config file and the project files it imports (absolute, byte order): they shape the schema too. */
  inputs: string[]
}

/**
 * `read()`'s answer for `file` as it is now: from the cache when the file and its imports are unchanged.
 * `kind` names the tool and the mode (`typeorm`, `typeorm-sync`); `hint` says what the file should be.
 */
export async function remembered<T>(file: string, baseDir: string, kind: string, hint: string, read: () => Promise<T>): Promise<Remembered<T>> {
  const bundled = await bundle(file).catch((err: Error) => {
    throw new WorkerDbError('E_CONFIG', `migrate: cannot read ${relative(baseDir, file)}: ${err.message}`, hint, { cause: err })
  })
  const inputs = bundled.inputs.filter((input) => !input.split(/[\\/]/).includes('node_modules')).sort(byteOrder)
  // What is remembered holds absolute paths: another checkout of the same files is another entry.
  const key = createHash('sha256').update(`${kind}\0${file}\0`)
  for (const input of inputs) key.update(`${relative(baseDir, input)}\0`).update(await readFile(input)).update('\0')
  const cacheFile = join(cacheDir(baseDir), `${kind}-${key.digest('hex').slice(0, 24)}.json`)
  const cached = readCache<T>(cacheFile)
  if (cached !== undefined) return { facts: cached, inputs }
  const facts = await read()
  writeCache(cacheFile, facts)
  return { facts, inputs }
}

/** node_modules/.cache/workerdb in the nearest folder with a node_modules, where tools keep their caches. */
function cacheDir(baseDir: string): string {
  for (let dir = baseDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'workerdb')
    if (dirname(dir) === dir) return join(tmpdir(), 'workerdb-cache')
  }
}

function readCache<T>(file: string): T | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { facts: T }).facts
  } catch {
    return undefined
  }
}

/** A cache that cannot be written only costs the next run the read. */
function writeCache(file: string, facts: unknown): void {
  try {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify({ facts }))
  } catch {
    // ignored: see above
  }
}
