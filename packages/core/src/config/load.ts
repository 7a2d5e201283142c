/**
 * Finding and loading `workerdb.config.*`: found from the working directory upward (so one file at a
 * monorepo root serves every package), loaded natively when Node can, bundled by esbuild when it cannot.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { Module } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import { importBundled } from '../bundle.js'
import type { ConfigExport } from './options.js'

export function findPackageDir(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return resolve(from)
  }
}

export const CONFIG_FILES = ['workerdb.config.ts', 'workerdb.config.mts', 'workerdb.config.cts', 'workerdb.config.js', 'workerdb.config.mjs', 'workerdb.config.cjs', 'workerdb.config.json']

/**
 * The package name nearest `dir` (the config file's folder): the same in every checkout of a project,
 * on every machine; without one, a hash of the folder's path (a marker on a shared server names no path).
 */
export function defaultProject(dir: string): string {
  const pkgDir = findPackageDir(dir)
  try {
    const name = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name?: unknown }).name
    if (typeof name === 'string' && name) return name
  } catch {
    // No package.json, or not JSON: fall back to the folder.
  }
  return `dir:${createHash('sha256').update(resolve(pkgDir)).digest('hex').slice(0, 12)}`
}

export function findConfigFile(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name)
      if (existsSync(file)) return file
    }
    if (dirname(dir) === dir) return undefined
  }
}

/**
 * JavaScript configs load natively, around any require hook the test runner installed: Jest runs globalSetup
 * under the project's transform, and a transform that matches .js (NestJS's ts-jest on `^.+\\.(t|j)s$`)
 * would compile the config through ts-jest on every run. CommonJS is compiled as a fresh module (no
 * `Module._extensions` hook sees it), ESM is imported (the ESM loader has no such hooks), with its mtime in
 * the URL so that a watch-mode rerun sees an edited file. TypeScript, and ESM syntax in a CommonJS .js,
 * are bundled (bundle.ts).
 */
async function loadNative(file: string): Promise<unknown | typeof NOT_NATIVE> {
  const esm = file.endsWith('.mjs') || (file.endsWith('.js') && packageType(dirname(file)) === 'module')
  if (esm) {
    try {
      const mod = await import(`${pathToFileURL(file).href}?mtime=${statSync(file).mtimeMs}`) as { default?: unknown }
      return mod.default ?? mod
    } catch (err) {
      if (needsBundling(err)) return NOT_NATIVE
      throw err
    }
  }
  if (!file.endsWith('.cjs') && !file.endsWith('.js')) return NOT_NATIVE
  const mod = new Module(file)
  mod.filename = file
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file))
  try {
    (mod as unknown as { _compile(code: string, file: string): void })._compile(readFileSync(file, 'utf8'), file)
  } catch (err) {
    if (needsBundling(err)) return NOT_NATIVE
    throw err
  }
  const exported = mod.exports as { default?: unknown; __esModule?: boolean }
  return exported && exported.__esModule && 'default' in exported ? exported.default : exported
}

const NOT_NATIVE = Symbol('not native')

/**
 * What Node cannot load but a bundle can: ESM syntax in a CommonJS .js, a TypeScript module the config
 * imports, ESM required from CommonJS. An error the config itself throws is the user's, and is not retried.
 */
function needsBundling(err: unknown): boolean {
  const code = (err as { code?: string })?.code
  return err instanceof SyntaxError || code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_REQUIRE_ESM'
}

/** The `type` of the package.json nearest `dir`. */
function packageType(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(findPackageDir(dir), 'package.json'), 'utf8')) as { type?: string }).type
  } catch {
    return undefined
  }
}

export async function loadConfigFile(file: string): Promise<ConfigExport> {
  try {
    if (file.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises')
      return JSON.parse(await readFile(file, 'utf8'))
    }
    const native = await loadNative(file)
    if (native !== NOT_NATIVE) return native as ConfigExport
    const mod = await importBundled(file)
    return (mod.default ?? mod) as ConfigExport
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `cannot load ${file}: ${redactText((err as Error).message)}`,
      'Fix the error in the config file; it must `export default defineConfig({ … })`.', { cause: redactedCause(err) })
  }
}
