/**
 * workerdb added to a Jest config in one line (`addWorkerDb(config)`), keeping what the project had: the
 * ts-jest preset (Jest takes one preset), NestJS's default transform (ts-jest on .ts and .js alike), a
 * config built by an async function (as next/jest's createJestConfig returns), and the project's own
 * globalSetup (TypeScript, `export default`), globalTeardown, setupFiles and reporters.
 */
import { describe, expect, test } from 'vitest'
import { describeRun, expectIsolated, leftoverClones, runJest, useJestScenarios, type JestMajor } from '../support/jest-harness.js'

const scenarios = useJestScenarios()

/** ts-jest compiling each file alone (no type check: the scenario's files import untyped modules). */
const TSCONFIG = JSON.stringify({ compilerOptions: { target: 'es2022', module: 'commonjs', esModuleInterop: true, isolatedModules: true, skipLibCheck: true } })

/** The project's own hooks: each notes that it ran, and what workerdb had set up by then. */
const OWN_FILES = {
  'tsconfig.json': TSCONFIG,
  'global-setup.ts': `import { appendFileSync } from 'node:fs'
export default async function ownGlobalSetup(): Promise<void> {
  appendFileSync(process.env.E2E_RESULTS!, JSON.stringify({ file: 'own', event: 'own-global-setup', manifest: process.env.WORKERDB_MANIFEST ?? null }) + '\\n')
}
`,
  'global-teardown.js': `module.exports = async () => {
  require('node:fs').appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: 'own', event: 'own-global-teardown', manifest: process.env.WORKERDB_MANIFEST ?? null }) + '\\n')
}
`,
  'own-setup.js': `require('node:fs').appendFileSync(process.env.E2E_RESULTS, JSON.stringify({ file: 'own', event: 'own-setup', url: process.env.DATABASE_URL ?? null }) + '\\n')\n`,
}

function configSource(shape: 'object' | 'function', cacheDir: string): string {
  const config = `{
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  // NestJS's default: ts-jest on .ts and .js alike.
  transform: { '^.+\\\\.(t|j)s$': ['ts-jest', { diagnostics: false }] },
  cacheDirectory: ${JSON.stringify(cacheDir)},
  maxWorkers: 2,
  globalSetup: '<rootDir>/global-setup.ts',
  globalTeardown: './global-teardown.js',
  setupFiles: ['<rootDir>/own-setup.js'],
  reporters: ['default'],
}`
  return shape === 'object'
    ? `const { addWorkerDb } = require('@workerdb/jest')\nmodule.exports = addWorkerDb(${config})\n`
    : `const { addWorkerDb } = require('@workerdb/jest')\nconst createJestConfig = () => async () => (${config})\nmodule.exports = addWorkerDb(createJestConfig())\n`
}

// Each shape once, on one major each: both majors and both shapes run, at half the cost of every pair.
const CASES: Array<[JestMajor, 'object' | 'function']> = [[29, 'object'], [30, 'function']]

describe('addWorkerDb', () => {
  test.each(CASES)('jest %i, %s config: ts-jest preset, NestJS transform and the project\'s own hooks all kept', async (major, shape) => {
    const project = scenarios.project({ jest: major, files: 3, tag: shape === 'object' ? 'cso' : 'csf', holdMs: 100, ext: 'ts', extraFiles: OWN_FILES })
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    writeFileSync(join(project.dir, 'jest.config.js'), configSource(shape, project.cacheDir))
    const r = await runJest(project)
    const info = describeRun(r)
    expectIsolated(project, r)
    expect(r.report!.testResults.every((t) => t.name.endsWith('.test.ts')), info).toBe(true)
    const own = (event: string) => r.lines.filter((l) => l.event === event)
    // The project's globalSetup ran once, after workerdb's had provisioned; its globalTeardown too.
    expect(own('own-global-setup').map((l) => Boolean(l.manifest)), info).toEqual([true])
    expect(own('own-global-teardown').length, info).toBe(1)
    // The project's setup file ran in every file, after workerdb's: it saw the worker's clone.
    expect(own('own-setup').length, info).toBe(3)
    for (const l of own('own-setup')) expect(String((l as unknown as { url?: string }).url), info).toContain(`${project.prefix}_`)
    // workerdb's reporter line, next to the project's reporters.
    expect(r.output, info).toMatch(/workerdb · jest \S+: .* ready in \d+ ms/)
    expect(await leftoverClones(project.prefix)).toEqual([])
  })
})
