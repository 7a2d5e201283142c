/**
 * What a migration tool reads from disk, for the template hash: every file under a path, in byte order
 * (the same sequence on every machine), skipping node_modules and dotfiles.
 */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { WorkerDbError } from '../errors.js'

/** Byte order, not locale order: the same sequence on every machine. */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export async function listFiles(path: string, option: string): Promise<string[]> {
  const s = await stat(path).catch(() => null)
  if (!s) {
    throw new WorkerDbError('E_CONFIG', `${option}: ${path} does not exist`,
      'Paths in `migrate` are relative to the workerdb config file (or to the working directory for inline options).')
  }
  if (s.isFile()) return [path]
  const out: string[] = []
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => byteOrder(a.name, b.name))
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue
    out.push(...(await listFiles(join(path, e.name), option)))
  }
  return out
}

/** (name, content) pairs for the template hash; names are relative to `baseDir`, so moving the repo changes nothing. */
export async function hashFiles(paths: string[], baseDir: string, option: string): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = []
  for (const path of paths) {
    for (const file of await listFiles(path, option)) out.push([`file/${relative(baseDir, file)}`, await readFile(file)])
  }
  return out
}
