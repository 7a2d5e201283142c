/**
 * `migrate: { run: async (url) => { … }, inputs: ['./src/models'] }`: the user's own code, run once into
 * the template. Its hash covers the function's source and every file under `inputs`; the source alone
 * cannot see what the function reads (model files, a schema module), so a change there would reuse a stale
 * template. `driftWarning` names the project files the config imports that `inputs` does not cover.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { WorkerDbError } from '../errors.js'
import { redactedCause, redactText } from '../url.js'
import { hashFiles } from './files.js'
import type { Migrator } from './types.js'

export type MigrateFunction = (url: string) => unknown | Promise<unknown>

export interface FunctionMigrateOptions {
  run: MigrateFunction
  /** Files or folders the function reads that shape the schema (models, schema modules). Hashed; relative to the config. */
  inputs?: string[]
}

/** `inputs`: absolute paths. */
export function functionMigrator(fn: MigrateFunction, baseDir: string, inputs: string[] = [], configFile?: string): Migrator {
  const warning = driftWarning(fn, baseDir, inputs, configFile)
  return {
    describe: `function ${fn.name || '(anonymous)'}`,
    warnings: warning ? [warning] : [],
    async hashInputs() {
      return [['function', fn.toString()], ...(await hashFiles(inputs, baseDir, 'migrate.inputs'))]
    },
    async migrate(url, { secrets }) {
      try {
        await fn(url)
      } catch (err) {
        throw new WorkerDbError('E_MIGRATION', `the migrate function threw: ${redactText((err as Error)?.stack ?? String(err), secrets)}`,
          'Fix the migration; the template was not kept, so the next run rebuilds it.', { cause: redactedCause(err, secrets) })
      }
      return undefined
    },
  }
}

/** Relative module specifiers (`./…`, `../…`) in `import … from`, `import(…)` and `require(…)`. */
export function relativeImports(source: string): string[] {
  const found = new Set<string>()
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) found.add(match[1]!)
  return [...found]
}

/**
 * Pure apart from reading the config file: the warning for project files that the function's source (or
 * the config file that holds it) imports and no `inputs` path covers, or undefined when there are none.
 */
export function driftWarning(fn: MigrateFunction, baseDir: string, inputs: string[], configFile?: string): string | undefined {
  const sources = [fn.toString()]
  if (configFile && existsSync(configFile) && !configFile.endsWith('.json')) sources.push(readFileSync(configFile, 'utf8'))
  const from = configFile ? dirname(configFile) : baseDir
  const covered = (path: string) => inputs.some((input) => path === input || path.startsWith(input.endsWith(sep) ? input : input + sep))
  const uncovered = [...new Set(sources.flatMap(relativeImports))]
    .filter((spec) => !moduleFiles(resolve(from, spec)).some(covered))
  if (!uncovered.length) return undefined
  const where = configFile ? relative(process.cwd(), configFile) || configFile : 'the migrate function'
  return `migrate: ${where} imports ${uncovered.join(', ')}, which \`migrate.inputs\` does not cover: the template hash sees only the function's source, so a change there reuses a stale template. ` +
    `List what shapes the schema: migrate: { run, inputs: [${uncovered.map((s) => JSON.stringify(s)).join(', ')}] }.`
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx']

/** The files an import of `path` may load: as written, TypeScript's `.js` → `.ts`, and an extensionless path with each extension. */
function moduleFiles(path: string): string[] {
  const ext = extname(path)
  const stem = SOURCE_EXTENSIONS.includes(ext) ? path.slice(0, -ext.length) : path
  return [path, ...SOURCE_EXTENSIONS.map((e) => stem + e), ...SOURCE_EXTENSIONS.map((e) => join(path, `index${e}`))]
}
