/**
 * Jest setupFilesAfterEnv entry (the preset's, after its setupFiles one): `beforeEach` and `afterAll` exist
 * only once the test framework is installed, after setupFiles ran. With `reset: { truncate: true, per:
 * 'test' }` the setup file (setup.ts) has reset the clone for this file and kept the connection; this file
 * hands it to a beforeEach that empties what the previous test wrote, and an afterAll that ends it.
 * Registered before the test file's own hooks, so it runs first. Otherwise it does nothing: every test
 * file loads it, and it loads nothing more than the worker module setup.ts already loaded.
 */
import { registerTestReset, type TestResetHooks } from '@workerdb/core/worker'

// @jest/globals is answered by the Jest runtime itself (nothing to install), so injectGlobals: false works too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
registerTestReset(() => require('@jest/globals') as TestResetHooks)
