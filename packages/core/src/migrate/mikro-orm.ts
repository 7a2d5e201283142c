/**
 * `{ mikroOrm: './mikro-orm.config.ts' }`: MikroORM's own migrator, as `mikro-orm migration:up` runs it —
 * the config the file exports, its `migrations.path` (`pathTs` first), its `mikro_orm_migrations` ledger —
 * with only the connection replaced by the template's and no entity discovery (migrations need none).
 *
 * The config is bundled with its project imports (bundle.ts), decorated entities compiled with decorator
 * metadata; the migration files load through jiti and reach MikroORM as its `migrationsList`, named by file
 * as its CLI names them, so its own `migration:pending` finds nothing on a clone. The hash covers the
 * config's files and the migrations folder; the folder and the ledger are remembered (remembered.ts).
 */
import { readdir } from 'node:fs/promises'
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path'
import { importBundled } from '../bundle.js'
import { WorkerDbError } from '../errors.js'
import { installedPackageJson } from '../installed.js'
import { plural } from '../log.js'
import { connectionParts } from '../url.js'
import { DIALECT_LABELS, type DialectName } from '../catalog/dialect.js'
import { kindOf, requireDriver } from './drivers.js'
import { byteOrder, hashFiles } from './files.js'
import { importFromProject, importUserFile, migrationFailed, migrationScripts } from './project.js'
import { remembered } from './remembered.js'
import type { Migrator } from './types.js'

export interface MikroOrmMigrateOptions {
  /** The config file MikroORM's CLI reads (`mikro-orm.config.ts`). */
  mikroOrm: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

interface MikroOrmConfig {
  baseDir?: string
  schema?: string
  contextName?: string
  extensions?: unknown[]
  migrations?: { path?: string; pathTs?: string; tableName?: string }
  [key: string]: unknown
}

interface MikroOrm {
  migrator: { up(): Promise<Array<{ name: string }>> }
  close(force?: boolean): Promise<void>
}

/** Where the migrations are and what the ledger is: what the config says, remembered. */
interface MikroOrmFacts {
  dir: string
  ledger: string[]
}

/** MikroORM's drivers for each kind, by class name, and the package each comes in (the first: the one to install). */
const DRIVERS: Record<DialectName, Record<string, string>> = {
  postgres: { PostgreSqlDriver: '@mikro-orm/postgresql' },
  mysql: { MySqlDriver: '@mikro-orm/mysql', MariaDbDriver: '@mikro-orm/mariadb' },
  sqlite: { BetterSqliteDriver: '@mikro-orm/better-sqlite', SqliteDriver: '@mikro-orm/sqlite', LibSqlDriver: '@mikro-orm/libsql' },
}

/**
 * The config's driver when it is one for the run's kind (E_CONFIG naming both when it is another kind's), or,
 * when the config names none, the kind's driver from the project (mariadb:// prefers @mikro-orm/mariadb).
 */
async function driverFor(config: MikroOrmConfig, url: string, from: string, option: string): Promise<unknown> {
  const kind = kindOf(url)
  const name = typeof config.driver === 'function' ? (config.driver as { name?: string }).name ?? '' : ''
  if (name) {
    const other = (Object.keys(DRIVERS) as DialectName[]).find((k) => k !== kind && name in DRIVERS[k])
    if (other) {
      throw new WorkerDbError('E_CONFIG', `${option}: the config's driver is ${name} (${DIALECT_LABELS[other]}), and this run's server is ${DIALECT_LABELS[kind]}`,
        `Use ${Object.values(DRIVERS[kind]).join(' or ')}'s defineConfig (or driver) in the config the tests use.`)
    }
    return config.driver
  }
  const packages = Object.entries(DRIVERS[kind]).map(([cls, pkg]) => ({ cls, pkg }))
  if (url.startsWith('mariadb:')) packages.reverse()
  const pkg = requireDriver(packages.map((p) => p.pkg), from, option, `mikro-orm on ${DIALECT_LABELS[kind]}`)
  const mod = await importFromProject<Record<string, unknown>>(pkg, from, option)
  return mod[packages.find((p) => p.pkg === pkg)!.cls]
}

/** What MikroORM's default `migrations.glob` (`!(*.d).{js,ts,cjs}`) matches. */
const MIKRO_ORM_SCRIPTS = migrationScripts(['.js', '.ts', '.cjs'])

export function mikroOrmMigrator(file: string, baseDir: string, inputs: string[] = []): Migrator {
  const option = 'migrate.mikroOrm'
  let loaded: Promise<MikroOrmConfig> | undefined
  let facts: Promise<{ facts: MikroOrmFacts; inputs: string[] }> | undefined

  /** The config as MikroORM's CLI takes it: the default export (or the module), awaited, called if a function. */
  const load = () => loaded ??= (async () => {
    if (!installedPackageJson('@mikro-orm/core', dirname(file))) {
      throw new WorkerDbError('E_CONFIG', `\`${option}\` uses @mikro-orm/core, but it is not installed in ${dirname(file)} or above`,
        'Install it where the config file is: npm i -D @mikro-orm/core @mikro-orm/postgresql @mikro-orm/migrations')
    }
    const mod = await importBundled(file, { decoratorMetadata: true }).catch((err: Error) => {
      throw new WorkerDbError('E_MIGRATION', `${option}: cannot load ${relative(baseDir, file)}: ${err.message}`,
        'Fix the error in the MikroORM config file; the template was not kept.', { cause: err })
    })
    let config: unknown = await (mod.default ?? mod)
    if (typeof config === 'function') config = await (config as () => unknown)()
    // Several contexts: the one the CLI picks by default.
    if (Array.isArray(config)) config = (config as MikroOrmConfig[]).find((c) => (c.contextName ?? 'default') === 'default') ?? config[0]
    if (!config || typeof config !== 'object') {
      throw new WorkerDbError('E_CONFIG', `${option}: ${relative(baseDir, file)} exports no MikroORM config`,
        'Point `migrate: { mikroOrm }` at the file that exports your config (`export default defineConfig({ … })`).')
    }
    return config as MikroOrmConfig
  })()

  const readFacts = (config: MikroOrmConfig): MikroOrmFacts => {
    // MikroORM resolves its paths from `baseDir`, by default the working directory its CLI runs in: the config's package.
    const root = config.baseDir ?? dirname(file)
    const path = config.migrations?.pathTs ?? config.migrations?.path ?? './migrations'
    const schema = config.schema ?? 'public'
    return { dir: isAbsolute(path) ? path : resolve(root, path), ledger: [`${schema}.${config.migrations?.tableName ?? 'mikro_orm_migrations'}`] }
  }

  const getFacts = () => facts ??= remembered(file, baseDir, 'mikro-orm',
    'Point `migrate: { mikroOrm }` at your MikroORM config file, relative to the workerdb config.', async () => readFacts(await load()))

  const scripts = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter(MIKRO_ORM_SCRIPTS).sort(byteOrder)

  return {
    describe: `mikro-orm ${relative(baseDir, file)}`,
    async ledgerTables(kind) {
      const { ledger } = (await getFacts()).facts
      // MariaDB's and SQLite's tables are in the database itself: no schema.
      return (kind ?? 'postgres') === 'postgres' ? ledger : ledger.map((name) => name.slice(name.indexOf('.') + 1))
    },
    async hashInputs() {
      const { facts: known, inputs: configFiles } = await getFacts()
      return [['tool', 'mikro-orm'], ...(await hashFiles([...configFiles, known.dir, ...inputs], baseDir, option))]
    },
    async migrate(url, { log, secrets }) {
      const config = await load()
      const { dir } = readFacts(config)
      const names = await scripts(dir)
      if (!names.length) {
        throw new WorkerDbError('E_CONFIG', `${option}: no migration files in ${dir}`,
          'Create them with `npx mikro-orm migration:create`, or point `migrations.path` (or `pathTs`) in the MikroORM config at them.')
      }
      const migrationsList = []
      for (const name of names) {
        const mod = await importUserFile<Record<string, unknown>>(join(dir, name), option)
        const migration = Object.values(mod).find((value) => typeof value === 'function')
        if (!migration) {
          throw new WorkerDbError('E_MIGRATION', `${option}: ${name} exports no migration class`,
            'A MikroORM migration exports a class extending Migration: `export class Migration… extends Migration { async up() { … } }`.')
        }
        // The CLI's name for it: the file name without its extension.
        migrationsList.push({ name: basename(name, extname(name)), class: migration })
      }
      const { MikroORM } = await importFromProject<{ MikroORM: { init(options: object): Promise<MikroOrm> } }>('@mikro-orm/core', baseDir, option)
      const { Migrator: MigratorExtension } = await importFromProject<{ Migrator: unknown }>('@mikro-orm/migrations', baseDir, option)
      const driver = await driverFor(config, url, dirname(file), option)
      const parts = connectionParts(url)
      // SQLite's database is its file, which MikroORM takes as dbName: a file: URL is no client URL to it.
      const connection = kindOf(url) === 'sqlite' ? { dbName: parts.database }
        : { clientUrl: url, host: parts.host, port: Number(parts.port), user: parts.user, password: parts.password || undefined, dbName: parts.database }
      let orm: MikroOrm | undefined
      try {
        orm = await MikroORM.init({
          ...config,
          driver,
          ...connection,
          // Migrations need no entities; discovering them would load the entity files MikroORM's way.
          entities: [], entitiesTs: [], discovery: { ...(config.discovery as object | undefined), warnWhenNoEntities: false },
          extensions: [...(config.extensions ?? []), MigratorExtension],
          migrations: { ...config.migrations, migrationsList, silent: true },
          debug: false,
        })
        log.progress(`migrating with mikro-orm: ${plural(names.length, 'migration')}`)
        return (await orm.migrator.up()).length
      } catch (err) {
        if (err instanceof WorkerDbError) throw err
        throw migrationFailed('mikro-orm', undefined, err, secrets)
      } finally {
        await orm?.close(true).catch(() => {})
      }
    },
  }
}
