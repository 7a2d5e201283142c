/** addWorkerDb: workerdb's pieces in any Jest config, the project's kept (the e2e runs it for real). */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addWorkerDb, mergeJestConfig, PROJECT_GLOBAL_SETUP_ENV, PROJECT_GLOBAL_TEARDOWN_ENV, PROJECT_SEQUENCER_ENV } from '../src/add-workerdb.js'

describe('mergeJestConfig', () => {
  it('keeps the preset and every other key; puts workerdb\'s setup file first and its reporter last', () => {
    const env: NodeJS.ProcessEnv = {}
    const merged = mergeJestConfig({ preset: 'ts-jest', testEnvironment: 'node', setupFiles: ['./a.js'], reporters: ['default', ['jest-junit', { outputDirectory: 'r' }]] }, env)
    expect(merged.preset).toBe('ts-jest')
    expect(merged.testEnvironment).toBe('node')
    expect(merged.setupFiles).toEqual([expect.stringMatching(/setup\.js$/), './a.js'])
    // Where a reset per test registers its beforeEach: first, so it runs before the project's own.
    expect(merged.setupFilesAfterEnv).toEqual([expect.stringMatching(/setup-after-env\.js$/)])
    expect(mergeJestConfig({ setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'] }, env).setupFilesAfterEnv)
      .toEqual([expect.stringMatching(/setup-after-env\.js$/), '<rootDir>/jest.setup.ts'])
    expect(merged.reporters).toEqual(['default', ['jest-junit', { outputDirectory: 'r' }], expect.stringMatching(/reporter\.js$/)])
    expect(merged.globalSetup).toMatch(/global-setup\.js$/)
    expect(env).toEqual({})
  })

  it('hands the project\'s own globalSetup, globalTeardown and sequencer to workerdb\'s, as absolute paths', () => {
    const env: NodeJS.ProcessEnv = {}
    mergeJestConfig({ rootDir: '/proj', globalSetup: '<rootDir>/gs.ts', globalTeardown: './gt.js', testSequencer: 'some-sequencer' }, env)
    expect(env[PROJECT_GLOBAL_SETUP_ENV]).toBe(join('/proj', 'gs.ts'))
    expect(env[PROJECT_GLOBAL_TEARDOWN_ENV]).toBe(join('/proj', 'gt.js'))
    expect(env[PROJECT_SEQUENCER_ENV]).toBe('some-sequencer')
    // Applied twice (a config read again in watch mode): the same, and nothing handed over names workerdb's own.
    const once = mergeJestConfig({ rootDir: '/proj' }, env)
    expect(mergeJestConfig(once, env)).toEqual(once)
    expect(env[PROJECT_GLOBAL_SETUP_ENV]).toBeUndefined()
  })

  it('takes a config function (next/jest) and returns one', async () => {
    const made = addWorkerDb(async () => ({ preset: 'ts-jest' }))
    expect(typeof made).toBe('function')
    expect((await made()).preset).toBe('ts-jest')
    expect((await made()).testSequencer).toMatch(/sequencer\.js$/)
  })
})
