import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { Module } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findConfigFile } from '../src/config/load.js'
import { resolveConfig } from '../src/config/resolve.js'
import { validateOptions } from '../src/config/validate.js'
import { rejectionError as configErrorAsync, thrownError as configError } from './helpers.js'

const roots: string[] = []
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

/** A fresh temp tree: { 'a/b/file': 'text' } → files under a new dir; returns the dir. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'workerdb-config-test-'))
  roots.push(root)
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel)
    mkdirSync(join(path, '..'), { recursive: true })
    writeFileSync(path, text)
  }
  return root
}

describe('validateOptions', () => {
  it('accepts every documented form', () => {
    const ok: unknown[] = [
      {},
      { server: 'auto' }, { server: 'embedded' }, { server: { url: 'postgresql://u@h/db' } }, { server: { embedded: {} } }, { server: { embedded: true } },
      { migrate: { sql: './migrations' } }, { migrate: { command: 'npx kysely migrate:latest', inputs: ['./migrations'] } }, { migrate: async () => {} }, { migrate: { run: async () => {}, inputs: ['./models'] } },
      { migrate: { kysely: './migrations' } }, { migrate: { knex: './knexfile.js', inputs: ['./seeds'] } }, { migrate: { drizzle: './drizzle.config.ts' } }, { migrate: { typeorm: './src/data-source.ts', synchronize: true } },
      { migrate: { nodePgMigrate: './migrations', table: 'pgmigrations' } }, { migrate: { command: 'make migrate', cwd: './db' } },
      { env: 'DATABASE_URL' }, { env: { DATABASE_URL: 'url', PGHOST: 'host', PGPORT: 'port', PGUSER: 'user', PGPASSWORD: 'password', PGDATABASE: 'database' } },
      { key: 'v2', prefix: 'shop', cloneStrategy: 'FILE_COPY', sweepTtlHours: 1.5, silent: true },
    ]
    for (const o of ok) expect(() => validateOptions(o, 'test'), JSON.stringify(o)).not.toThrow()
  })

  it('rejects a non-object', () => {
    for (const o of [null, 'x', 5, []]) expect(configError(() => validateOptions(o, 'here')).code).toBe('E_CONFIG')
  })

  describe('unknown keys', () => {
    it('names the key and suggests the nearest one ("migrat" → "migrate")', () => {
      const e = configError(() => validateOptions({ migrat: { sql: './m' } }, 'workerdb.config.ts'))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('workerdb.config.ts')
      expect(e.message).toContain('"migrat"')
      expect(e.hint).toContain('Did you mean "migrate"?')
    })

    it.each([['prefx', 'prefix'], ['Server', 'server'], ['silnet', 'silent'], ['sweepTtlHour', 'sweepTtlHours']])('%s → %s', (typo, near) => {
      expect(configError(() => validateOptions({ [typo]: 1 }, 'x')).hint).toContain(`Did you mean "${near}"?`)
    })

    it('lists the known options when nothing is close', () => {
      const e = configError(() => validateOptions({ databaseUrlForTests: 'x' }, 'x'))
      expect(e.hint).not.toContain('Did you mean')
      expect(e.hint).toContain('migrate')
      expect(e.hint).toContain('server')
    })
  })

  it('suggests the tool a misspelt migrate key meant ("drizle" → "drizzle")', () => {
    expect(configError(() => validateOptions({ migrate: { drizle: './drizzle' } }, 'x')).hint).toContain('Did you mean "drizzle"?')
  })

  describe('wrong types: E_CONFIG naming the option, with a hint', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['server as a number', { server: 5 }, 'server'],
      ['server as an unknown string', { server: 'docker' }, 'server'],
      ['server with neither url nor embedded', { server: { host: 'x' } }, 'server'],
      ['server.url not a string', { server: { url: 5 } }, 'server.url'],
      ['migrate as a string', { migrate: './migrations' }, 'migrate'],
      ['migrate with neither sql nor command', { migrate: { dir: './m' } }, 'migrate'],
      ['migrate naming two tools', { migrate: { sql: './m', kysely: './m' } }, 'sql and kysely'],
      ['migrate.kysely not a string', { migrate: { kysely: true } }, 'migrate.kysely'],
      ['migrate.knex empty', { migrate: { knex: '' } }, 'migrate.knex'],
      ['migrate.table on a tool that has no such setting', { migrate: { kysely: './m', table: 'x' } }, 'migrate.table'],
      ['migrate.sql not a string', { migrate: { sql: ['./m'] } }, 'migrate.sql'],
      ['migrate.command not a string', { migrate: { command: ['npx', 'x'] } }, 'migrate.command'],
      ['migrate.inputs not an array of strings', { migrate: { command: 'x', inputs: [1] } }, 'migrate.inputs'],
      ['migrate.inputs a string', { migrate: { command: 'x', inputs: './m' } }, 'migrate.inputs'],
      ['migrate.synchronize not a boolean', { migrate: { typeorm: './src/data-source.ts', synchronize: 'yes' } }, 'migrate.synchronize'],
      ['migrate.synchronize on a tool that has no such setting', { migrate: { sequelize: './migrations', synchronize: true } }, 'synchronize'],
      ['a misspelt migrate.inputs, which the hash would silently miss', { migrate: { sql: './m', input: ['./seeds'] } }, 'migrate.input` is not an option of sql'],
      ['migrate.cwd on a tool that runs no command', { migrate: { knex: './knexfile.js', cwd: './db' } }, "migrate.cwd` is not an option of knex (it is command's)"],
      ['migrate.cwd not a string', { migrate: { command: 'x', cwd: 1 } }, 'migrate.cwd'],
      ['env not a valid variable name', { env: 'DATABASE-URL' }, 'env'],
      ['env as a number', { env: 5 }, 'env'],
      ['env as an array', { env: ['DATABASE_URL'] }, 'env'],
      ['key not a string', { key: 2 }, 'key'],
      ['prefix not a string', { prefix: 7 }, 'prefix'],
      ['cloneStrategy unknown', { cloneStrategy: 'fast' }, 'cloneStrategy'],
      ['sweepTtlHours zero', { sweepTtlHours: 0 }, 'sweepTtlHours'],
      ['sweepTtlHours negative', { sweepTtlHours: -1 }, 'sweepTtlHours'],
      ['sweepTtlHours a string', { sweepTtlHours: '24' }, 'sweepTtlHours'],
      ['sweepTtlHours NaN', { sweepTtlHours: Number.NaN }, 'sweepTtlHours'],
      ['silent a string', { silent: 'yes' }, 'silent'],
    ]
    it.each(cases)('%s', (_what, options, name) => {
      const e = configError(() => validateOptions(options, 'inline options'))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('inline options')
      expect(e.message).toContain(name)
      expect(e.hint.trim().length).toBeGreaterThan(0)
    })
  })

  it('an env map with an invalid part names the variable and lists the valid parts', () => {
    const e = configError(() => validateOptions({ env: { DATABASE_URL: 'url', PGPORT: 'portt' } }, 'x'))
    expect(e.code).toBe('E_CONFIG')
    expect(e.message).toContain('env.PGPORT')
    expect(e.message).toContain('"portt"')
    for (const part of ['url', 'host', 'port', 'user', 'password', 'database']) expect(e.hint).toContain(part)
  })
})

describe('resolveConfig', () => {
  it('finds workerdb.config.ts from a nested cwd upward (TypeScript, no build step)', async () => {
    const root = tree({
      'workerdb.config.ts': `const prefix: string = 'fromts'\nexport default { prefix, key: 'k-ts' as string, env: 'APP_DB_URL' }\n`,
      'packages/app/test/.keep': '',
    })
    const cfg = await resolveConfig({}, join(root, 'packages/app/test'))
    expect(cfg.file).toBe(join(root, 'workerdb.config.ts'))
    expect(cfg.prefix).toBe('fromts')
    expect(cfg.key).toBe('k-ts')
    expect(cfg.env).toEqual({ APP_DB_URL: 'url' })
  })

  it('finds workerdb.config.json', async () => {
    const root = tree({ 'workerdb.config.json': JSON.stringify({ prefix: 'fromjson', sweepTtlHours: 2 }), 'a/b/.keep': '' })
    const cfg = await resolveConfig({}, join(root, 'a/b'))
    expect(cfg.file).toBe(join(root, 'workerdb.config.json'))
    expect(cfg.prefix).toBe('fromjson')
    expect(cfg.sweepTtlMs).toBe(2 * 3_600_000)
  })

  it('finds workerdb.config.mjs', async () => {
    const root = tree({ 'workerdb.config.mjs': `export default { prefix: 'frommjs', cloneStrategy: 'WAL_LOG' }\n`, 'deep/er/.keep': '' })
    const cfg = await resolveConfig({}, join(root, 'deep/er'))
    expect(cfg.file).toBe(join(root, 'workerdb.config.mjs'))
    expect(cfg.prefix).toBe('frommjs')
    expect(cfg.cloneStrategy).toBe('WAL_LOG')
  })

  it('uses the nearest file when several directories have one', async () => {
    const root = tree({
      'workerdb.config.json': JSON.stringify({ prefix: 'outer' }),
      'pkg/workerdb.config.json': JSON.stringify({ prefix: 'inner' }),
      'pkg/src/.keep': '',
    })
    expect(findConfigFile(join(root, 'pkg/src'))).toBe(join(root, 'pkg/workerdb.config.json'))
    expect((await resolveConfig({}, join(root, 'pkg/src'))).prefix).toBe('inner')
  })

  it('inline options override the file key by key', async () => {
    const root = tree({ 'workerdb.config.json': JSON.stringify({ prefix: 'fromfile', key: 'filekey', silent: false }) })
    const cfg = await resolveConfig({ prefix: 'inline', silent: true }, root)
    expect(cfg.prefix).toBe('inline')
    expect(cfg.silent).toBe(true)
    expect(cfg.key).toBe('filekey')
  })

  it('resolves migrate.sql from the file against the config file\'s directory, not cwd', async () => {
    const root = tree({
      'workerdb.config.json': JSON.stringify({ migrate: { sql: './migrations' } }),
      'migrations/001_init.sql': 'create table root_level (id int);',
      'packages/app/migrations/001_wrong.sql': 'create table wrong (id int);',
    })
    const cfg = await resolveConfig({}, join(root, 'packages/app'))
    const inputs = await cfg.migrator!.hashInputs()
    expect(inputs.map(([n]) => n)).toEqual(['sql/001_init.sql'])
    expect(String(inputs[0][1])).toContain('root_level')
  })

  it('resolves an inline migrate.sql against cwd', async () => {
    const root = tree({
      'workerdb.config.json': JSON.stringify({ migrate: { sql: './migrations' } }),
      'migrations/001_root.sql': 'select 1;',
      'pkg/db/002_pkg.sql': 'select 2;',
    })
    const cfg = await resolveConfig({ migrate: { sql: './db' } }, join(root, 'pkg'))
    expect((await cfg.migrator!.hashInputs()).map(([n]) => n)).toEqual(['sql/002_pkg.sql'])
  })

  describe('JavaScript configs load natively, past any require hook (Jest runs globalSetup under the project\'s transform)', () => {
    /** A transform that matches .js, as NestJS's ts-jest does: any config loaded through require() would hit it. */
    function withJsHook<T>(fn: () => Promise<T>): Promise<T> {
      const extensions = (Module as unknown as { _extensions: Record<string, unknown> })._extensions
      const original = extensions['.js']
      const cjs = extensions['.cjs']
      const hook = () => { throw new Error('went through the project\'s transform') }
      extensions['.js'] = hook
      extensions['.cjs'] = hook
      return fn().finally(() => { extensions['.js'] = original; extensions['.cjs'] = cjs })
    }

    it.each([
      ['workerdb.config.js', 'module.exports = { prefix: "cjs" }', undefined],
      ['workerdb.config.cjs', 'module.exports = { prefix: "cjs" }', undefined],
      ['workerdb.config.mjs', 'export default { prefix: "cjs" }', undefined],
      ['workerdb.config.js', 'export default { prefix: "cjs" }', 'module'],
      // ESM syntax in a CommonJS package's .js: jiti reads it, as before.
      ['workerdb.config.js', 'export default { prefix: "cjs" }', undefined],
    ])('%s (%s, package type %s)', async (name, text, type) => {
      const root = tree({ [name]: text, 'package.json': JSON.stringify({ name: 'p', ...(type ? { type } : {}) }) })
      const cfg = await withJsHook(() => resolveConfig({}, root))
      expect(cfg.prefix).toBe('cjs')
    })

    it.each([
      ['workerdb.config.mjs', 'import { prefix } from "./prefix.ts"\nexport default { prefix }'],
      ['workerdb.config.cjs', 'module.exports = { prefix: require("./prefix.ts").prefix }'],
    ])('%s importing a TypeScript module is bundled', async (name, text) => {
      const root = tree({ [name]: text, 'prefix.ts': 'export const prefix: string = "ts"\n' })
      expect((await resolveConfig({}, root)).prefix).toBe('ts')
    })

    it('an edited ESM config is read again (a watch-mode rerun)', async () => {
      const root = tree({ 'workerdb.config.mjs': 'export default { prefix: "one" }' })
      expect((await resolveConfig({}, root)).prefix).toBe('one')
      writeFileSync(join(root, 'workerdb.config.mjs'), 'export default { prefix: "two" }')
      utimesSync(join(root, 'workerdb.config.mjs'), new Date(), new Date(Date.now() + 5000))
      expect((await resolveConfig({}, root)).prefix).toBe('two')
    })
  })

  describe('TypeScript configs are bundled (bundle.ts)', () => {
    it('import.meta.url, __dirname and require mean in each bundled file what they mean in that file', async () => {
      const root = tree({
        'package.json': JSON.stringify({ name: 'p' }),
        'workerdb.config.ts': [
          "import { here } from './lib/where.ts'",
          "const { basename } = require('node:path') as typeof import('node:path')",
          'export default { key: [basename(here.url), basename(here.dir), basename(new URL(import.meta.url).pathname), basename(__dirname)].join(" ") }',
        ].join('\n'),
        'lib/where.ts': 'export const here: { url: string, dir: string } = { url: import.meta.url, dir: __dirname }\n',
      })
      expect((await resolveConfig({}, root)).key).toBe(`where.ts lib workerdb.config.ts ${basename(root)}`)
    })

    it('tsconfig paths resolve as the project\'s tools resolve them', async () => {
      const root = tree({
        'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@db/*': ['src/db/*'] } } }),
        'workerdb.config.ts': "import { prefix } from '@db/settings'\nexport default { prefix }\n",
        'src/db/settings.ts': 'export const prefix: string = "aliased"\n',
      })
      expect((await resolveConfig({}, root)).prefix).toBe('aliased')
    })

    it('leaves no bundle behind, and removes one a killed load left (its writer is gone), not one a live load is using', async () => {
      const root = tree({ 'workerdb.config.ts': 'export default { prefix: "swept" as string }\n' })
      const deadPid = 2 ** 22 + 1 // above Linux's pid_max: never a running process
      const left = `workerdb.config.ts.workerdb-${deadPid}-0123abcd.mjs`
      const live = `workerdb.config.ts.workerdb-${process.ppid}-0123abcd.mjs`
      const other = 'workerdb.config.ts.workerdb-notes.txt'
      for (const name of [left, live, other]) writeFileSync(join(root, name), '')
      expect((await resolveConfig({}, root)).prefix).toBe('swept')
      expect(readdirSync(root).sort()).toEqual([live, other, 'workerdb.config.ts'].sort())
    })

    it('a syntax error is E_CONFIG naming the file and line', async () => {
      const root = tree({ 'workerdb.config.ts': 'const x: number = \nexport default {}\n' })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toMatch(/workerdb\.config\.ts:2/)
      expect(readdirSync(root)).toEqual(['workerdb.config.ts'])
    })
  })

  describe('migrate: the function form', () => {
    const CONFIG = (migrate: string) => `import { readFileSync } from 'node:fs'
import { defineUser } from './models/user.js'
export default { migrate: ${migrate} }
`
    const MODEL = (column: string) => `export const defineUser = () => 'create table users (id int, ${column} text)'\n`

    it('{ run, inputs }: a change in a file the function reads changes the template hash', async () => {
      const root = tree({ 'workerdb.config.ts': CONFIG("{ run: async () => defineUser(), inputs: ['./models'] }"), 'models/user.js': MODEL('name') })
      const before = await (await resolveConfig({}, root)).migrator!.hashInputs()
      writeFileSync(join(root, 'models/user.js'), MODEL('email'))
      const cfg = await resolveConfig({}, root)
      const after = await cfg.migrator!.hashInputs()
      expect(after.map(([n]) => n)).toEqual(['function', 'file/models/user.js'])
      expect(String(after[1][1])).toContain('email')
      expect(after).not.toEqual(before)
      expect(cfg.migrator!.warnings).toEqual([])
    })

    it('warns when the config imports project files that inputs does not cover', async () => {
      const root = tree({ 'workerdb.config.ts': CONFIG('async () => defineUser()'), 'models/user.js': MODEL('name') })
      const cfg = await resolveConfig({}, root)
      expect(cfg.migrator!.warnings).toHaveLength(1)
      expect(cfg.migrator!.warnings![0]).toContain('./models/user.js')
      expect(cfg.migrator!.warnings![0]).toContain('inputs: ["./models/user.js"]')
      // Covered by a folder in inputs: quiet.
      const covered = tree({ 'workerdb.config.ts': CONFIG("{ run: async () => defineUser(), inputs: ['models'] }"), 'models/user.js': MODEL('name') })
      expect((await resolveConfig({}, covered)).migrator!.warnings).toEqual([])
      // TypeScript's ESM imports name the .js file a .ts file becomes: the .ts file in inputs covers it.
      const typescript = tree({ 'workerdb.config.ts': CONFIG("{ run: async () => defineUser(), inputs: ['./models/user.ts'] }"), 'models/user.ts': MODEL('name') })
      expect((await resolveConfig({}, typescript)).migrator!.warnings).toEqual([])
    })

    it('an inline function is checked by its own source only (the file it came from is not known)', async () => {
      const root = tree({ 'workerdb.config.ts': CONFIG("{ sql: './models' }"), 'models/user.js': MODEL('name') })
      const quiet = await resolveConfig({ migrate: async () => {} }, root)
      expect(quiet.migrator!.warnings).toEqual([])
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loud = await resolveConfig({ migrate: async () => require('./schema.cjs') }, root)
      expect(loud.migrator!.warnings![0]).toContain('./schema.cjs')
    })

    it('migrate.run must be a function', () => {
      const e = configError(() => validateOptions({ migrate: { run: './migrate.js' } }, 'test'))
      expect(e.code).toBe('E_CONFIG')
      expect(e.hint).toContain('inputs')
    })
  })

  it('fills in the defaults', async () => {
    const root = tree({ 'workerdb.config.json': '{}' })
    const cfg = await resolveConfig({}, root)
    expect(cfg).toMatchObject({ server: 'auto', env: { DATABASE_URL: 'url' }, key: '', prefix: 'wdb', cloneStrategy: 'auto', sweepTtlMs: 24 * 3_600_000, silent: false })
    expect(cfg.migrator).toBeUndefined()
  })

  describe('errors are E_CONFIG with a hint', () => {
    it('an unknown key in the file names the file', async () => {
      const root = tree({ 'workerdb.config.json': JSON.stringify({ migrat: { sql: './m' } }) })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain(join(root, 'workerdb.config.json'))
      expect(e.hint).toContain('Did you mean "migrate"?')
    })

    it('invalid inline options are reported as inline', async () => {
      const root = tree({ 'workerdb.config.json': '{}' })
      const e = await configErrorAsync(resolveConfig({ silent: 'yes' } as never, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('inline options')
      expect(e.hint.length).toBeGreaterThan(0)
    })

    it('a file that does not parse', async () => {
      const root = tree({ 'workerdb.config.json': '{ "prefix": ' })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('cannot load')
      expect(e.hint.length).toBeGreaterThan(0)
    })

    it('a TypeScript file that throws while loading', async () => {
      const root = tree({ 'workerdb.config.ts': `throw new Error('boom from config')\nexport default {}\n` })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('boom from config')
      expect(e.hint).toContain('defineConfig')
    })

    it('a file that does not export an object', async () => {
      const root = tree({ 'workerdb.config.json': '[1, 2]' })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.hint.length).toBeGreaterThan(0)
    })

    it('an invalid prefix', async () => {
      const root = tree({ 'workerdb.config.json': JSON.stringify({ prefix: 'Not_Valid' }) })
      const e = await configErrorAsync(resolveConfig({}, root))
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain('Not_Valid')
      expect(e.hint.length).toBeGreaterThan(0)
    })

    it('a migrate.sql directory that does not exist (reported when it is read)', async () => {
      const root = tree({ 'workerdb.config.json': JSON.stringify({ migrate: { sql: './nope' } }) })
      const cfg = await resolveConfig({}, root)
      const e = await configErrorAsync(cfg.migrator!.hashInputs())
      expect(e.code).toBe('E_CONFIG')
      expect(e.message).toContain(join(root, 'nope'))
      expect(e.hint.length).toBeGreaterThan(0)
    })
  })
})
