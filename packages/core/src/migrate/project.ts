/**
 * Migration tools are the user's dependencies, not ours: they are loaded from the user's project (where the
 * config file is), in the version the user pinned, and their migration files are loaded the same way —
 * through jiti, so TypeScript migrations work without a build step, as they do under the tools' own CLIs.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WorkerDbError } from '../errors.js'
import { installedPackageJson } from '../installed.js'
import { redactedCause, redactText } from '../url.js'

type Jiti = { import<T>(id: string): Promise<T> }

function jitiAt(baseDir: string): Promise<Jiti> {
  return import('jiti').then(({ createJiti }) => createJiti(pathToFileURL(join(baseDir, 'workerdb.migrate.js')).href, { interopDefault: false }))
}

/** A package installed in the user's project, e.g. `kysely`, or a subpath like `drizzle-orm/node-postgres/migrator`. */
export async function importFromProject<T>(specifier: string, baseDir: string, option: string): Promise<T> {
  const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
  // Checked first: jiti would fall back to workerdb's own location (see installed.ts).
  if (!installedPackageJson(pkg, baseDir)) {
    throw new WorkerDbError('E_CONFIG', `\`${option}\` uses ${pkg}, but it is not installed in ${baseDir} or above`,
      `Install it where the workerdb config is: npm i -D ${pkg}`)
  }
  const jiti = await jitiAt(baseDir)
  try {
    return await jiti.import<T>(specifier)
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `\`${option}\`: cannot load ${specifier}: ${redactText((err as Error).message)}`,
      `Check that ${pkg} loads in this project (node -e "import('${specifier}')").`, { cause: redactedCause(err) })
  }
}

/** A migration or config file of the user's (TS or JS, ESM or CJS). */
export async function importUserFile<T>(file: string, option: string): Promise<T> {
  const jiti = await jitiAt(file)
  try {
    return await jiti.import<T>(file)
  } catch (err) {
    throw new WorkerDbError('E_MIGRATION', `\`${option}\`: cannot load ${file}: ${redactText((err as Error).message)}`,
      'Fix the error in that file; the template was not kept, so the next run rebuilds it.', { cause: redactedCause(err) })
  }
}

/** The module's named exports, or its default export's when it only has one (CJS `module.exports = { up }`). */
export function exportsOf<T extends object>(mod: T & { default?: unknown }): T {
  const d = mod.default
  return d && typeof d === 'object' && !('up' in mod) ? (d as T) : mod
}

/**
 * Files a migration tool would load from a folder — exactly its own list, so the ledger never names a file
 * the tool's CLI would not see (knex then calls the directory corrupt) — and never type declarations.
 */
export function migrationScripts(extensions: readonly string[]): (name: string) => boolean {
  return (name) => extensions.some((ext) => name.endsWith(ext)) && !/\.d\.(c|m)?ts$/.test(name)
}

/** The E_MIGRATION every adapter throws when the tool reports a failed step. */
export function migrationFailed(tool: string, step: string | undefined, err: unknown, secrets: string[]): WorkerDbError {
  const e = err as { message?: string } | undefined
  return new WorkerDbError('E_MIGRATION', `${tool} migration ${step ? `${step} ` : ''}failed: ${redactText(e?.message ?? String(err), secrets)}`,
    'Fix the migration; the template was not kept, so the next run rebuilds it.', { cause: redactedCause(err, secrets) })
}
