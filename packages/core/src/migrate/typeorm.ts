/**
 * `{ typeorm: './src/data-source.ts' }`: TypeORM's own migrator, as `typeorm migration:run -d <file>` runs
 * it — the DataSource the file exports, its migrations, its `migrationsTableName` ledger — with only the
 * connection replaced by the template's. `synchronize: true` builds the schema from its entities instead,
 * as `typeorm schema:sync` (and a test set-up with `synchronize: true`) does.
 *
 * The file is bundled with its project imports (bundle.ts), decorated entities compiled by the project's
 * TypeScript with decorator metadata, as tsc and ts-jest compile them. The hash covers the bundle's own
 * files plus the files its `migrations` (or `entities`) globs match; the globs are remembered (remembered.ts).
 */
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { bundle, importBundle } from '../bundle.js'
import { findPackageDir } from '../config/load.js'
import { WorkerDbError } from '../errors.js'
import { installedPackageJson } from '../installed.js'
import { connectionParts } from '../url.js'
import { DIALECT_LABELS, type DialectName } from '../catalog/dialect.js'
import { BETTER_SQLITE3, MYSQL2, kindOf, mysqlConnection, requireDriver } from './drivers.js'
import { byteOrder, hashFiles } from './files.js'
import { exportsOf, importUserFile, migrationFailed } from './project.js'
import { remembered } from './remembered.js'
import type { Migrator } from './types.js'

export interface TypeOrmMigrateOptions {
  /** The file exporting the DataSource: what `typeorm migration:run -d <file>` takes. */
  typeorm: string
  /** Build the schema from the entities (`schema:sync`) instead of running the migrations. */
  synchronize?: boolean
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

/** The parts of a DataSource this adapter reads. */
interface DataSource {
  options: {
    type?: string
    migrations?: unknown
    entities?: unknown
    migrationsTableName?: string
    migrationsTransactionMode?: 'all' | 'each' | 'none'
    schema?: string
  }
  constructor: new (options: object) => DataSource
  initialize(): Promise<unknown>
  runMigrations(opts: { transaction: 'all' | 'each' | 'none' }): Promise<Array<{ name: string }>>
  synchronize(): Promise<void>
  destroy(): Promise<void>
  entityMetadatas?: unknown[]
}

/** What the DataSource says about the schema's files and its ledger: remembered per content of its bundle. */
interface DataSourceFacts {
  /** Absolute glob patterns in the DataSource's `migrations` (or, synchronizing, `entities`). */
  patterns: string[]
  ledger: string[]
}

/** The DataSource `type`s workerdb drives on each kind, and the driver package each one loads. */
const TYPES: Record<DialectName, Record<string, readonly string[]>> = {
  postgres: { postgres: ['pg'] },
  mysql: { mysql: [MYSQL2, 'mysql'], mariadb: [MYSQL2, 'mysql'] },
  sqlite: { [BETTER_SQLITE3]: [BETTER_SQLITE3], sqlite: ['sqlite3'] },
}

const isDataSource = (value: unknown): value is DataSource =>
  typeof value === 'object' && value !== null && (value as Record<string, unknown>)['@instanceof'] === Symbol.for('DataSource')

export function typeormMigrator(file: string, baseDir: string, opts: { synchronize?: boolean; inputs?: string[] } = {}): Migrator {
  const synchronize = opts.synchronize === true
  const option = 'migrate.typeorm'
  let loaded: Promise<DataSource> | undefined
  let facts: Promise<{ facts: DataSourceFacts; files: string[] }> | undefined

  /** The DataSource the file exports, as TypeORM's CLI finds it: the export that is one (awaited). */
  const load = () => loaded ??= (async () => {
    // Checked first: the bundle imports typeorm from the project, and would fail with Node's bare message.
    if (!installedPackageJson('typeorm', dirname(file))) {
      throw new WorkerDbError('E_CONFIG', `\`${option}\` uses typeorm, but it is not installed in ${dirname(file)} or above`,
        'Install it where the data source file is: npm i -D typeorm')
    }
    const exports = await importBundle(await bundle(file, { decoratorMetadata: true })).catch((err: Error) => {
      throw new WorkerDbError('E_MIGRATION', `${option}: cannot load ${relative(baseDir, file)}: ${err.message}`,
        'Fix the error in the data source file (what `typeorm migration:run -d` takes); the template was not kept.', { cause: err })
    })
    const found: DataSource[] = []
    for (const value of [exports, ...Object.values(exports)]) {
      const awaited = await value
      if (isDataSource(awaited) && !found.includes(awaited)) found.push(awaited)
    }
    if (found.length !== 1) {
      throw new WorkerDbError('E_CONFIG', `${option}: ${relative(baseDir, file)} exports ${found.length ? `${found.length} DataSource instances` : 'no DataSource instance'}`,
        'Point `migrate: { typeorm }` at the file that exports your one DataSource (`export default new DataSource({ … })`), as `typeorm -d` takes it.')
    }
    return found[0]!
  })()

  const readFacts = (ds: DataSource): DataSourceFacts => {
    const list = synchronize ? ds.options.entities : ds.options.migrations
    const strings = Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string')
      : list && typeof list === 'object' ? Object.values(list).filter((item): item is string => typeof item === 'string') : []
    const schema = ds.options.schema ?? 'public'
    // TypeORM matches relative globs from the working directory its CLI runs in: the data source's package.
    const projectDir = findPackageDir(dirname(file))
    return {
      patterns: strings.map((pattern) => (isAbsolute(pattern) ? pattern : resolve(projectDir, pattern))),
      ledger: [`${schema}.${ds.options.migrationsTableName ?? 'migrations'}`, `${schema}.typeorm_metadata`],
    }
  }

  const getFacts = () => facts ??= (async () => {
    const { facts: known, inputs } = await remembered(file, baseDir, synchronize ? 'typeorm-sync' : 'typeorm',
      'Point `migrate: { typeorm }` at the file that exports your DataSource, relative to the config file.', async () => readFacts(await load()))
    return { facts: known, files: [...inputs, ...expand(known.patterns, baseDir)] }
  })()

  return {
    describe: `typeorm ${relative(baseDir, file)}${synchronize ? ' (synchronize)' : ''}`,
    async ledgerTables(kind) {
      const { ledger } = (await getFacts()).facts
      // MariaDB's and SQLite's tables are in the database itself: no schema.
      return (kind ?? 'postgres') === 'postgres' ? ledger : ledger.map((name) => name.slice(name.indexOf('.') + 1))
    },
    async hashInputs() {
      const { files } = await getFacts()
      return [['tool', 'typeorm'], ['synchronize', String(synchronize)], ...(await hashFiles([...files, ...(opts.inputs ?? [])], baseDir, option))]
    },
    async migrate(url, { log, secrets }) {
      const ds = await load()
      const kind = kindOf(url)
      const drivers = TYPES[kind][ds.options.type ?? '']
      if (!drivers) {
        const types = Object.keys(TYPES[kind]).map((t) => `\`type: "${t}"\``).join(' or ')
        throw new WorkerDbError('E_CONFIG', `${option}: the DataSource's type is ${JSON.stringify(ds.options.type)}, and this run's server is ${DIALECT_LABELS[kind]}`,
          `Use ${types} in the DataSource the tests use (or point workerdb at a ${ds.options.type ?? 'matching'} server).`)
      }
      if (kind !== 'postgres') requireDriver(drivers, dirname(file), option, `typeorm's ${ds.options.type} DataSource`)
      const { patterns } = readFacts(ds)
      const overrides: Record<string, unknown> = {}
      if (patterns.length) {
        // TypeORM would require() these itself, which plain Node cannot do for TypeScript: loaded here instead.
        const classes: unknown[] = []
        for (const match of expand(patterns, baseDir)) {
          const mod = exportsOf(await importUserFile<Record<string, unknown>>(match, option))
          classes.push(...Object.values(mod).filter((value) => typeof value === 'function'))
        }
        overrides[synchronize ? 'entities' : 'migrations'] = [
          ...((synchronize ? ds.options.entities : ds.options.migrations) as unknown[] ?? []).filter((item) => typeof item !== 'string'),
          ...classes,
        ]
      }
      const parts = connectionParts(url)
      const connection = kind === 'postgres'
        ? { url, host: parts.host, port: Number(parts.port), username: parts.user, password: parts.password || undefined, database: parts.database }
        : kind === 'mysql'
          ? (({ user, ...rest }) => ({ url: undefined, username: user, ...rest }))(mysqlConnection(url))
          : { url: undefined, host: undefined, port: undefined, username: undefined, password: undefined, database: parts.database }
      // TypeORM names a failing migration only in its log: keep that line's name for the error.
      let failed: string | undefined
      const quiet = () => {}
      const logger = {
        logQuery: quiet, logQueryError: quiet, logQuerySlow: quiet, logSchemaBuild: quiet, log: quiet,
        logMigration(message: string) { failed = /^Migration "(.+)" failed/.exec(message)?.[1] ?? failed },
      }
      const template = new ds.constructor({
        ...ds.options,
        ...overrides,
        ...connection,
        // What typeorm's CLI sets before it migrates.
        subscribers: [], synchronize: false, migrationsRun: false, dropSchema: false, logging: false, logger,
      })
      try {
        await template.initialize()
        if (synchronize) {
          log.progress('synchronizing with typeorm')
          await template.synchronize()
          return template.entityMetadatas?.length
        }
        log.progress('migrating with typeorm')
        const ran = await template.runMigrations({ transaction: ds.options.migrationsTransactionMode ?? 'all' })
        return ran.length
      } catch (err) {
        if (err instanceof WorkerDbError) throw err
        throw migrationFailed('typeorm', failed, err, secrets)
      } finally {
        await template.destroy().catch(() => {})
      }
    },
  }
}

/** Files matching absolute glob patterns, with TypeORM's own glob library (tinyglobby), in byte order. */
function expand(patterns: string[], baseDir: string): string[] {
  if (!patterns.length) return []
  const requireFromTypeorm = createRequire(createRequire(join(baseDir, 'workerdb.js')).resolve('typeorm'))
  const { globSync } = requireFromTypeorm('tinyglobby') as { globSync(patterns: string[], opts: object): string[] }
  return globSync(patterns.map((pattern) => pattern.replace(/\\/g, '/')), { absolute: true, onlyFiles: true })
    .filter((match) => !/\.d\.[cm]?ts$/.test(match)).sort(byteOrder)
}
