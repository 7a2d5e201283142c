/**
 * The migration tools `migrate: { … }` can name, in one table: the key that names each one, what that key
 * takes, its extra keys, and how it becomes a Migrator. Adding a tool is a module of its own plus one
 * entry here (and one member of MigrateOption); config validation and resolution read this table.
 */
import { resolve } from 'node:path'
import { commandMigrator, type CommandMigrateOptions } from './command.js'
import { drizzleMigrator, type DrizzleMigrateOptions } from './drizzle.js'
import { functionMigrator, type FunctionMigrateOptions, type MigrateFunction } from './function.js'
import { knexMigrator, type KnexMigrateOptions } from './knex.js'
import { mikroOrmMigrator, type MikroOrmMigrateOptions } from './mikro-orm.js'
import { kyselyMigrator, type KyselyMigrateOptions } from './kysely.js'
import { nodePgMigrateMigrator, type NodePgMigrateOptions } from './node-pg-migrate.js'
import { prismaMigrator, type PrismaMigrateOptions } from './prisma.js'
import { sequelizeMigrator, type SequelizeMigrateOptions } from './sequelize.js'
import { sqlMigrator } from './sql.js'
import { typeormMigrator, type TypeOrmMigrateOptions } from './typeorm.js'
import type { Migrator } from './types.js'
import type { DialectName } from '../catalog/dialect.js'

/** The adapters written against node-postgres so far. */
const POSTGRES_ONLY: readonly DialectName[] = ['postgres']
/** The adapters that pick their driver by the run's kind (drivers.ts). */
const EVERY_KIND: readonly DialectName[] = ['postgres', 'mysql', 'sqlite']

export type MigrateOption =
  | { sql: string; /** More files that shape the schema (seeds it reads…), hashed. */ inputs?: string[] }
  | CommandMigrateOptions
  | KyselyMigrateOptions
  | KnexMigrateOptions
  | DrizzleMigrateOptions
  | NodePgMigrateOptions
  | PrismaMigrateOptions
  | SequelizeMigrateOptions
  | TypeOrmMigrateOptions
  | MikroOrmMigrateOptions
  | FunctionMigrateOptions
  /** The same as `{ run: fn }` with no `inputs`: the hash sees only the function's source. */
  | MigrateFunction

/** Where the option came from: relative paths resolve against `baseDir`; `configFile` is checked for drift. */
export interface MigrateSource {
  baseDir: string
  configFile?: string
}

export interface MigrateTool {
  /** The key that names the tool: `migrate: { knex: './knexfile.js' }`. */
  key: string
  /** What that key's value is. */
  takes: 'path' | 'command' | 'function'
  /** A working example of the whole option, for error hints. */
  example: string
  /** The database kinds workerdb drives it on; undefined: any. */
  dialects?: readonly DialectName[]
  /** Its keys besides the tool's own and `inputs`: whether a value is right, and what a right one is. */
  extraKeys?: Record<string, { check: (value: unknown) => boolean; hint: string }>
  create(option: Record<string, unknown>, source: MigrateSource, inputs: string[]): Migrator
}

const path = (option: Record<string, unknown>, key: string, source: MigrateSource): string =>
  resolve(source.baseDir, option[key] as string)

export const MIGRATE_TOOLS: readonly MigrateTool[] = [
  {
    key: 'sql', takes: 'path', example: 'migrate: { sql: "./migrations" }',
    create: (m, source, inputs) => sqlMigrator(path(m, 'sql', source), source.baseDir, inputs),
  },
  {
    // Its inputs are its own (the command's files), resolved by the command migrator.
    key: 'command', takes: 'command', example: 'migrate: { command: "npx kysely migrate:latest", inputs: ["./migrations"] }',
    extraKeys: { cwd: { check: (v) => typeof v === 'string' && v !== '', hint: 'the folder to run the command in, relative to the config file' } },
    create: (m, source) => commandMigrator(m as unknown as CommandMigrateOptions, source.baseDir),
  },
  {
    key: 'kysely', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { kysely: "./migrations" }',
    create: (m, source, inputs) => kyselyMigrator(path(m, 'kysely', source), source.baseDir, inputs),
  },
  {
    key: 'knex', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { knex: "./knexfile.js" }',
    create: (m, source, inputs) => knexMigrator(path(m, 'knex', source), source.baseDir, inputs),
  },
  {
    key: 'drizzle', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { drizzle: "./drizzle.config.ts" }',
    create: (m, source, inputs) => drizzleMigrator(path(m, 'drizzle', source), source.baseDir, inputs),
  },
  {
    key: 'nodePgMigrate', takes: 'path', dialects: POSTGRES_ONLY, example: 'migrate: { nodePgMigrate: "./migrations", table: "pgmigrations" }',
    extraKeys: { table: { check: (v) => typeof v === 'string' && v !== '', hint: 'the ledger table name, e.g. table: "pgmigrations"' } },
    create: (m, source, inputs) => nodePgMigrateMigrator(path(m, 'nodePgMigrate', source), source.baseDir, { table: m.table as string | undefined, inputs }),
  },
  {
    key: 'prisma', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { prisma: "./prisma" }',
    create: (m, source, inputs) => prismaMigrator(path(m, 'prisma', source), source.baseDir, inputs),
  },
  {
    key: 'sequelize', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { sequelize: "./migrations" }',
    create: (m, source, inputs) => sequelizeMigrator(path(m, 'sequelize', source), source.baseDir, inputs),
  },
  {
    key: 'typeorm', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { typeorm: "./src/data-source.ts" }',
    extraKeys: { synchronize: { check: (v) => typeof v === 'boolean', hint: 'true to build the schema from the entities (schema:sync) instead of the migrations' } },
    create: (m, source, inputs) => typeormMigrator(path(m, 'typeorm', source), source.baseDir, { synchronize: m.synchronize as boolean | undefined, inputs }),
  },
  {
    key: 'mikroOrm', takes: 'path', dialects: EVERY_KIND, example: 'migrate: { mikroOrm: "./mikro-orm.config.ts" }',
    create: (m, source, inputs) => mikroOrmMigrator(path(m, 'mikroOrm', source), source.baseDir, inputs),
  },
  {
    key: 'run', takes: 'function', example: 'migrate: { run: async (url) => { … }, inputs: ["./src/models"] }',
    create: (m, source, inputs) => functionMigrator(m.run as MigrateFunction, source.baseDir, inputs, source.configFile),
  },
]

/** The tool that `option` names; the option must have been validated. */
export function migrateToolOf(option: object): MigrateTool | undefined {
  return MIGRATE_TOOLS.find((tool) => tool.key in option)
}

/** `configFile`: the file the option came from, if any (the function form checks what it imports). */
export function resolveMigrator(option: MigrateOption | undefined, baseDir: string, configFile?: string): Migrator | undefined {
  if (option === undefined) return undefined
  const source: MigrateSource = { baseDir, configFile }
  if (typeof option === 'function') return functionMigrator(option, source.baseDir, [], source.configFile)
  const m = option as Record<string, unknown>
  const inputs = ((m.inputs as string[] | undefined) ?? []).map((input) => resolve(source.baseDir, input))
  const tool = migrateToolOf(m)!
  const migrator = tool.create(m, source, inputs)
  if (tool.dialects) migrator.dialects = tool.dialects
  return migrator
}
