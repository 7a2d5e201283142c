/**
 * `{ sequelize: './migrations' }`: sequelize-cli's migrations (`db:migrate`), run in-process with the user's
 * sequelize: the folder's pending scripts in name order, each `up(queryInterface, Sequelize)`, each recorded by its
 * file name in the `SequelizeMeta` ledger that sequelize-cli keeps — the table made through sequelize's own
 * model definition, as umzug's storage makes it — so `sequelize-cli db:migrate` finds nothing to do on a clone.
 */
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { WorkerDbError } from '../errors.js'
import { plural } from '../log.js'
import { DIALECT_LABELS } from '../catalog/dialect.js'
import { MYSQL2, SQLITE3, kindOf, ledgerName, mysqlConnection, requireDriver } from './drivers.js'
import { connectionParts } from '../url.js'
import { hashFiles } from './files.js'
import { exportsOf, importFromProject, importUserFile, migrationFailed, migrationScripts } from './project.js'
import type { Migrator } from './types.js'

export interface SequelizeMigrateOptions {
  /** The migrations folder (sequelize-cli's `migrations-path`). */
  sequelize: string
  /** More files that shape the schema (hashed), relative to the config. */
  inputs?: string[]
}

/** sequelize-cli's default ledger table. */
export const SEQUELIZE_META = 'SequelizeMeta'

/** What sequelize-cli 6 loads from a migrations folder. */
const SEQUELIZE_SCRIPTS = migrationScripts(['.js', '.cjs', '.ts', '.cts'])

interface SequelizeModule {
  Sequelize: { new (url: string, options: object): SequelizeInstance; new (options: object): SequelizeInstance }
  DataTypes: { STRING: unknown }
}

interface SequelizeInstance {
  define(name: string, attributes: object, options: object): {
    sync(): Promise<unknown>
    findAll(options: { raw: true }): Promise<Array<{ name: string }>>
    create(values: object): Promise<unknown>
  }
  getQueryInterface(): unknown
  close(): Promise<void>
}

interface SequelizeMigration {
  up(queryInterface: unknown, sequelize: unknown): Promise<unknown>
}

export function sequelizeMigrator(dir: string, baseDir: string, inputs: string[] = []): Migrator {
  const scripts = async () => {
    const names = (await readdir(dir).catch((err: Error) => {
      throw new WorkerDbError('E_CONFIG', `migrate.sequelize: ${dir} cannot be read: ${err.message}`,
        'Point `migrate: { sequelize }` at your migrations folder (sequelize-cli\'s migrations-path), relative to the config file.', { cause: err })
    })).filter(SEQUELIZE_SCRIPTS)
    // sequelize-cli (through umzug) runs them in name order, and records each by its file name.
    return names.sort()
  }
  return {
    describe: `sequelize ${relative(baseDir, dir) || '.'}`,
    async ledgerTables(kind) {
      return [ledgerName(kind, undefined, SEQUELIZE_META)]
    },
    async hashInputs() {
      return [['tool', 'sequelize'], ...(await hashFiles([dir, ...inputs], baseDir, 'migrate.sequelize'))]
    },
    async migrate(url, { log, secrets }) {
      const names = await scripts()
      if (!names.length) {
        throw new WorkerDbError('E_CONFIG', `migrate.sequelize: no migration files in ${dir}`,
          'Point `migrate: { sequelize }` at your migrations folder (npx sequelize-cli migration:generate writes them there).')
      }
      const mod = await importFromProject<SequelizeModule & { default?: SequelizeModule }>('sequelize', baseDir, 'migrate.sequelize')
      const { Sequelize, DataTypes } = mod.Sequelize ? mod : mod.default!
      const options = { logging: false, pool: { min: 0, max: 1 } }
      const kind = kindOf(url)
      const sequelize = kind === 'mysql' ? new Sequelize({ ...mysqlOptions(url, baseDir), ...options })
        : kind === 'sqlite' ? new Sequelize({ ...sqliteOptions(url, baseDir), ...options })
        : new Sequelize(url, options)
      let current: string | undefined
      try {
        // The ledger as umzug's SequelizeStorage defines it for sequelize-cli.
        const meta = sequelize.define(SEQUELIZE_META, {
          name: { type: DataTypes.STRING, allowNull: false, unique: true, primaryKey: true, autoIncrement: false },
        }, { tableName: SEQUELIZE_META, timestamps: false })
        await meta.sync()
        const applied = new Set((await meta.findAll({ raw: true })).map((row) => row.name))
        const pending = names.filter((name) => !applied.has(name))
        log.progress(`migrating with sequelize: ${plural(pending.length, 'migration')}`)
        const queryInterface = sequelize.getQueryInterface()
        for (const name of pending) {
          current = name
          log.progress(`sequelize migration ${name}`)
          const migration = exportsOf(await importUserFile<SequelizeMigration>(join(dir, name), 'migrate.sequelize'))
          if (typeof migration.up !== 'function') {
            throw new WorkerDbError('E_MIGRATION', `migrate.sequelize: ${name} exports no up() function`,
              'A sequelize-cli migration exports { async up(queryInterface, Sequelize) { … }, async down(…) { … } }.')
          }
          await migration.up(queryInterface, Sequelize)
          await meta.create({ name })
        }
        return pending.length
      } catch (err) {
        if (err instanceof WorkerDbError) throw err
        throw migrationFailed('sequelize', current, err, secrets)
      } finally {
        await sequelize.close().catch(() => {})
      }
    },
  }
}

/**
 * Sequelize's options on MariaDB/MySQL: its `mariadb` dialect where the project has that driver and the URL
 * says mariadb://, else its `mysql` dialect on mysql2 (which speaks to MariaDB too), else `mariadb`.
 * Sequelize loads the driver itself; it must be the project's.
 */
function mysqlOptions(url: string, baseDir: string): object {
  const preferred = url.startsWith('mariadb:') ? ['mariadb', MYSQL2] : [MYSQL2, 'mariadb']
  const driver = requireDriver(preferred, baseDir, 'migrate.sequelize', `sequelize on ${DIALECT_LABELS.mysql}`)
  const { host, port, user, password, database } = mysqlConnection(url)
  return { dialect: driver === 'mariadb' ? 'mariadb' : 'mysql', host, port, username: user, password, database }
}

/**
 * Sequelize's options on SQLite: its `sqlite` dialect, on the project's sqlite3 (which Sequelize loads
 * itself), with the template's file as its storage.
 */
function sqliteOptions(url: string, baseDir: string): object {
  requireDriver([SQLITE3], baseDir, 'migrate.sequelize', `sequelize on ${DIALECT_LABELS.sqlite}`)
  return { dialect: 'sqlite', storage: connectionParts(url).database }
}
