/**
 * Where the embedded server keeps its throwaway data: in memory when the machine offers a RAM disk.
 *
 * Why: a test database never needs to survive the run, and on a RAM disk `CREATE DATABASE … TEMPLATE`
 * is a memory copy, several times faster than on disk even with fsync off; initdb and migrations speed
 * up too (docs/how-it-works.md, measured choices).
 */
import fs from 'node:fs'
import os from 'node:os'

/** Linux's RAM disk, present on practically every distribution and in containers. */
export const MEMORY_DIR = '/dev/shm'

/**
 * Below this much free space the RAM disk is not used: Docker gives containers a 64 MB /dev/shm, and a
 * template and its clones that run out of room fail mid-test ("could not extend file … No space left").
 */
export const MIN_MEMORY_FREE_BYTES = 2 * 1024 ** 3

export interface MemoryDirFacts {
  platform: NodeJS.Platform
  /** Free bytes on MEMORY_DIR for this user, or undefined when it is missing or not writable. */
  memoryFreeBytes: number | undefined
  tmpdir: string
}

/**
 * Pure: the parent of the embedded server's scratch dir. `memory`: true insists on the RAM disk (falling
 * back when there is none, with the reason), false keeps the temp dir, undefined decides by free space.
 */
export function scratchParent(facts: MemoryDirFacts, memory: boolean | undefined): { dir: string; inMemory: boolean; why?: string } {
  if (memory === false) return { dir: facts.tmpdir, inMemory: false }
  if (facts.platform !== 'linux' || facts.memoryFreeBytes === undefined) {
    return { dir: facts.tmpdir, inMemory: false, why: memory ? `${MEMORY_DIR} is not available here` : undefined }
  }
  if (memory !== true && facts.memoryFreeBytes < MIN_MEMORY_FREE_BYTES) {
    return { dir: facts.tmpdir, inMemory: false, why: `${MEMORY_DIR} has only ${Math.round(facts.memoryFreeBytes / 1024 ** 2)} MB free` }
  }
  return { dir: MEMORY_DIR, inMemory: true }
}

export function memoryDirFacts(): MemoryDirFacts {
  let memoryFreeBytes: number | undefined
  if (process.platform === 'linux') {
    try {
      fs.accessSync(MEMORY_DIR, fs.constants.W_OK | fs.constants.X_OK)
      const s = fs.statfsSync(MEMORY_DIR)
      memoryFreeBytes = s.bavail * s.bsize
    } catch {
      memoryFreeBytes = undefined
    }
  }
  return { platform: process.platform, memoryFreeBytes, tmpdir: os.tmpdir() }
}
