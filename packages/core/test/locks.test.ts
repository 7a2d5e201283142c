import { describe, expect, it } from 'vitest'
import { spareClaimLock, templateLock, withLock, withLockIfFree } from '../src/catalog/locks.js'
import { lock, tryLock, unlock } from '../src/catalog/postgres/locks.js'
import { PostgresSession } from '../src/catalog/postgres/index.js'
import { testUrl, withClient } from './helpers.js'

const HASH = 'f'.repeat(16) + '0123456789abcdef' + '0'.repeat(32)

describe('advisory locks', () => {
  it('keys a template and its spare claims apart, and different templates apart', () => {
    expect(templateLock(HASH).key).not.toBe(spareClaimLock(HASH).key)
    expect(templateLock(HASH).key).not.toBe(templateLock('e' + HASH.slice(1)).key)
    // A bigint parameter: 64 bits, signed.
    expect(BigInt(templateLock(HASH).key)).toBe(-1n)
  })

  it('lets shared holders in together and keeps the exclusive one out until the last lets go', async () => {
    const l = templateLock(HASH)
    await withClient(testUrl(), (a) => withClient(testUrl(), (b) => withClient(testUrl(), async (c) => {
      await lock(a, l, 'shared')
      await lock(b, l, 'shared')
      expect(await withLockIfFree(new PostgresSession(c, testUrl()), l, async () => 'ran')).toBeUndefined()
      await unlock(a, l, 'shared')
      expect(await tryLock(c, l)).toBe(false)
      await unlock(b, l, 'shared')
      expect(await withLockIfFree(new PostgresSession(c, testUrl()), l, async () => 'ran')).toBe('ran')
      // …and let go of it afterwards.
      expect(await tryLock(a, l)).toBe(true)
      await unlock(a, l)
    })))
  })

  it('lets go of the exclusive lock when the work throws', async () => {
    const l = templateLock(HASH)
    await withClient(testUrl(), (a) => withClient(testUrl(), async (b) => {
      await expect(withLock(new PostgresSession(a, testUrl()), l, async () => { throw new Error('boom') })).rejects.toThrow('boom')
      expect(await tryLock(b, l)).toBe(true)
      await unlock(b, l)
    }))
  })
})
