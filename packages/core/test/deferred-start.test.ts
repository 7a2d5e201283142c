import { describe, expect, it } from 'vitest'
import { deferredStart } from '../src/engine/deferred-start.js'

const settled = async (p: Promise<void>, withinMs: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), withinMs))])

describe('deferredStart', () => {
  it('is not ready before its delay, and is after it', async () => {
    const d = deferredStart(150)
    expect(await settled(d.ready, 20)).toBe(false)
    expect(await settled(d.ready, 2000)).toBe(true)
  })

  it('now() makes it ready at once, long before the delay', async () => {
    const d = deferredStart(60_000)
    d.now()
    expect(await settled(d.ready, 50)).toBe(true)
    d.now() // a second call is harmless
  })

  it('a delay of 0 is ready at once', async () => {
    expect(await settled(deferredStart(0).ready, 50)).toBe(true)
  })
})
