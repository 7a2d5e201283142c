/**
 * A reporter is the one place Vitest hands over the run's specs before globalSetup and before the pool
 * starts (`onTestRunStart`, awaited). It records them, after --shard, for the planner; on watch reruns it
 * grows the clone set before the rerun's workers start.
 */
import { shardSpecs } from './facts.js'
import { growFor } from './provision-run.js'
import type { RunState, SpecLike } from './state.js'

export class SpecReporter {
  constructor(private readonly state: RunState) {}

  async onTestRunStart(specs: ReadonlyArray<SpecLike>): Promise<void> {
    const mine = await shardSpecs(this.state.vitest, [...specs])
    this.state.specs = mine
    await growFor(this.state, mine)
  }
}
