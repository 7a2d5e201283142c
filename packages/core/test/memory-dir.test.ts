import { describe, expect, it } from 'vitest'
import { MEMORY_DIR, MIN_MEMORY_FREE_BYTES, scratchParent } from '../src/server/memory-dir.js'

const GB = 1024 ** 3
const linux = (free: number | undefined) => ({ platform: 'linux' as const, memoryFreeBytes: free, tmpdir: '/tmp' })

describe('scratchParent: where the embedded server keeps its throwaway data', () => {
  it('uses the RAM disk on Linux when it has room', () => {
    expect(scratchParent(linux(12 * GB), undefined)).toEqual({ dir: MEMORY_DIR, inMemory: true })
    expect(scratchParent(linux(MIN_MEMORY_FREE_BYTES), undefined)).toEqual({ dir: MEMORY_DIR, inMemory: true })
  })

  it('keeps the temp dir when the RAM disk is small (Docker gives 64 MB), and says why', () => {
    expect(scratchParent(linux(64 * 1024 ** 2), undefined)).toEqual({ dir: '/tmp', inMemory: false, why: `${MEMORY_DIR} has only 64 MB free` })
    expect(scratchParent(linux(MIN_MEMORY_FREE_BYTES - 1), undefined).inMemory).toBe(false)
  })

  it('keeps the temp dir without a RAM disk, off Linux, or when told to', () => {
    expect(scratchParent(linux(undefined), undefined)).toEqual({ dir: '/tmp', inMemory: false, why: undefined })
    expect(scratchParent({ platform: 'darwin', memoryFreeBytes: 100 * GB, tmpdir: '/var/tmp' }, undefined)).toEqual({ dir: '/var/tmp', inMemory: false, why: undefined })
    expect(scratchParent(linux(100 * GB), false)).toEqual({ dir: '/tmp', inMemory: false })
  })

  it('memory: true takes a small RAM disk too, and explains a missing one', () => {
    expect(scratchParent(linux(64 * 1024 ** 2), true)).toEqual({ dir: MEMORY_DIR, inMemory: true })
    expect(scratchParent(linux(undefined), true)).toEqual({ dir: '/tmp', inMemory: false, why: `${MEMORY_DIR} is not available here` })
  })
})
