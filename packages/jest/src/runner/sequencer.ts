/**
 * The preset's testSequencer: Jest's own default sequencer (from the running Jest), plus workerdb's count.
 * Users with a sequencer of their own use `withWorkerDb(TheirSequencer)` from '@workerdb/jest' instead.
 */
import { jestModules } from './jest-modules.js'
import { withWorkerDb, type SequencerClass } from './mixin.js'

const TestSequencer = jestModules().load<SequencerClass>('@jest/test-sequencer')

export default withWorkerDb(TestSequencer)
