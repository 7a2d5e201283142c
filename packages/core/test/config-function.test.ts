import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { findPackageDir } from '../src/config/load.js'
import { resolveConfig } from '../src/config/resolve.js'

const root = mkdtempSync(join(tmpdir(), 'workerdb-cfgfn-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A monorepo: one config at the root, two packages with their own migrations. */
function monorepo(): string {
  const dir = mkdtempSync(join(root, 'mono-'))
  writeFileSync(join(dir, 'package.json'), '{"name":"mono","private":true}')
  writeFileSync(join(dir, 'workerdb.config.mjs'), `import { join } from 'node:path'
export default ({ packageDir, cwd }) => ({ migrate: { sql: join(packageDir, 'migrations') }, key: 'cwd:' + cwd })\n`)
  for (const pkg of ['api', 'jobs']) {
    mkdirSync(join(dir, 'packages', pkg, 'migrations'), { recursive: true })
    mkdirSync(join(dir, 'packages', pkg, 'test', 'deep'), { recursive: true })
    writeFileSync(join(dir, 'packages', pkg, 'package.json'), `{"name":"${pkg}"}`)
    writeFileSync(join(dir, 'packages', pkg, 'migrations', '0001.sql'), `create table ${pkg}_t (id int);`)
  }
  return dir
}

describe('a config file that exports a function', () => {
  test('is called per run with the package being tested, so each package of a monorepo gets its own migrations', async () => {
    const dir = monorepo()
    const api = await resolveConfig({}, join(dir, 'packages', 'api'))
    const jobs = await resolveConfig({}, join(dir, 'packages', 'jobs', 'test', 'deep'))
    expect(api.file).toBe(join(dir, 'workerdb.config.mjs'))
    expect(jobs.file).toBe(api.file)
    const apiInputs = await api.migrator!.hashInputs()
    const jobsInputs = await jobs.migrator!.hashInputs()
    expect(String(apiInputs[0][1])).toContain('create table api_t')
    expect(String(jobsInputs[0][1])).toContain('create table jobs_t')
    expect(jobs.key).toBe(`cwd:${join(dir, 'packages', 'jobs', 'test', 'deep')}`)
  })

  test('its result is validated like an object export', async () => {
    const dir = mkdtempSync(join(root, 'bad-'))
    writeFileSync(join(dir, 'workerdb.config.mjs'), 'export default () => ({ prefx: "x" })\n')
    await expect(resolveConfig({}, dir)).rejects.toMatchObject({ code: 'E_CONFIG', message: expect.stringContaining('Did you mean "prefix"') })
  })

  test('findPackageDir walks up to the nearest package.json, or stays put when there is none', () => {
    const dir = monorepo()
    expect(findPackageDir(join(dir, 'packages', 'jobs', 'test', 'deep'))).toBe(join(dir, 'packages', 'jobs'))
    expect(findPackageDir(join(dir, 'packages'))).toBe(dir)
    const bare = mkdtempSync(join(root, 'bare-'))
    expect(findPackageDir(bare)).toBe(bare)
  })
})
