import { describe, expect, test } from 'vitest'
import { shardSpecs } from '../src/runner/facts.js'
import type { SpecLike, VitestLike } from '../src/runner/state.js'

/** A Vitest stand-in whose sequencer keeps the first half of the specs and counts its calls. */
function fakeVitest(version: string, shard?: { index: number; count: number }) {
  const calls: number[] = []
  class Sequencer {
    async shard(specs: SpecLike[]) {
      calls.push(specs.length)
      return specs.slice(0, Math.ceil(specs.length / 2))
    }
  }
  const vitest = { version, projects: [], config: { root: '/', watch: false, shard, sequence: { sequencer: Sequencer } } } as unknown as VitestLike
  return { vitest, calls }
}

const specs = Array.from({ length: 6 }, (_, i) => ({ moduleId: `/t/${i}.test.ts` }) as SpecLike)

describe('shardSpecs', () => {
  test('Vitest 3 and 4 hand reporters every spec: shard them as the pool will', async () => {
    for (const version of ['3.2.7', '4.1.12']) {
      const { vitest, calls } = fakeVitest(version, { index: 1, count: 2 })
      expect(await shardSpecs(vitest, specs)).toHaveLength(3)
      expect(calls).toEqual([6])
    }
  })

  test('Vitest 5 has sharded before onTestRunStart: the specs are this shard\'s already', async () => {
    const { vitest, calls } = fakeVitest('5.1.1', { index: 1, count: 2 })
    expect(await shardSpecs(vitest, specs.slice(0, 3))).toHaveLength(3)
    expect(calls).toEqual([])
  })

  test('no --shard: all specs', async () => {
    const { vitest, calls } = fakeVitest('4.1.12')
    expect(await shardSpecs(vitest, specs)).toHaveLength(6)
    expect(calls).toEqual([])
  })
})
