/**
 * The preset's testSequencer: Jest's own default sequencer (from the running Jest), plus workerdb's count.
 * Users with a sequencer of their own use `withWorkerDb(TheirSequencer)` from '@workerdb/jest' instead.
 */
import { PROJECT_SEQUENCER_ENV } from '../add-workerdb.js'
import { jestModules } from './jest-modules.js'
import { withWorkerDb, type SequencerClass } from './mixin.js'
import { projectSequencer } from './project-hooks.js'

// addWorkerDb: the project's own sequencer, counted like Jest's.
const TestSequencer = projectSequencer<SequencerClass>(PROJECT_SEQUENCER_ENV) ?? jestModules().load<SequencerClass>('@jest/test-sequencer')

export default withWorkerDb(TestSequencer)
