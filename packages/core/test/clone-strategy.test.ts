/** The two clone decisions made before any CREATE DATABASE: which strategy, and how many at once. */
import { describe, expect, it } from 'vitest'
import { chooseStrategy } from '../src/catalog/postgres/strategy.js'
import { cloneConcurrency, copySessions, durabilityHint, SLOW_COPY_MS } from '../src/engine/clones.js'

describe('chooseStrategy', () => {
  const MB = 1024 * 1024
  it('has nothing to choose before PostgreSQL 15', () => {
    expect(chooseStrategy({ major: 14, fsync: true }, 0)).toBeUndefined()
    expect(chooseStrategy({ major: 14, fsync: true }, 0, 'FILE_COPY')).toBeUndefined()
  })
  it('honours an explicit choice', () => {
    expect(chooseStrategy({ major: 16, fsync: false }, 0, 'WAL_LOG')).toBe('WAL_LOG')
    expect(chooseStrategy({ major: 16, fsync: true }, 0, 'FILE_COPY')).toBe('FILE_COPY')
  })
  it('fsync off: FILE_COPY (its checkpoints cost nothing then)', () => {
    expect(chooseStrategy({ major: 17, fsync: false }, 10 * MB)).toBe('FILE_COPY')
  })
  it('fsync on: WAL_LOG for small templates, FILE_COPY above 64 MB', () => {
    expect(chooseStrategy({ major: 15, fsync: true }, 8 * MB)).toBe('WAL_LOG')
    expect(chooseStrategy({ major: 15, fsync: true }, 65 * MB)).toBe('FILE_COPY')
  })
  it('PostgreSQL 18 with file_copy_method = clone: FILE_COPY (a reflink), whatever the size', () => {
    expect(chooseStrategy({ major: 18, fsync: true, fileCopyMethod: 'clone' }, 1 * MB)).toBe('FILE_COPY')
    expect(chooseStrategy({ major: 18, fsync: true, fileCopyMethod: 'copy' }, 1 * MB)).toBe('WAL_LOG')
  })
})

describe('cloneConcurrency', () => {
  const base = { maxConnections: 100, reserved: 3, inUse: 5, workers: 4, perWorker: 2 }
  it('four lanes per core (copies wait on the disk), at most 8', () => {
    expect(cloneConcurrency(1, base)).toBe(4)
    expect(cloneConcurrency(2, base)).toBe(8)
    expect(cloneConcurrency(64, base)).toBe(8)
  })
  it('a kind without a session limit (SQLite): the cores alone', () => {
    expect(cloneConcurrency(1)).toBe(4)
    expect(cloneConcurrency(2)).toBe(8)
  })
  it('never takes the connections the workers will need', () => {
    // 20 - 3 reserved - 5 in use - 4 workers × 2 = 4 left.
    expect(cloneConcurrency(16, { ...base, maxConnections: 20 })).toBe(4)
  })
  it('one lane even when the server is already short of connections', () => {
    expect(cloneConcurrency(16, { ...base, maxConnections: 10 })).toBe(1)
  })
})

describe('copySessions', () => {
  it('gives each copy its share of the lanes the clones leave free, up to what the kind can use', () => {
    expect(copySessions(8, 4, 3)).toBe(2)
    expect(copySessions(8, 1, 3)).toBe(3)
    expect(copySessions(8, 8, 3)).toBe(1)
    expect(copySessions(4, 3, 3)).toBe(1)
  })
  it('one session for a kind that names no more, and never fewer than one', () => {
    expect(copySessions(8, 1)).toBe(1)
    expect(copySessions(1, 4, 3)).toBe(1)
    expect(copySessions(8, 0, 3)).toBe(3)
  })
})

describe('durabilityHint', () => {
  it('speaks when copies were slow on a server with fsync on, with the per-clone figure and where the fix is', () => {
    const hint = durabilityHint({ fsync: true, copies: 4, copyMs: 4 * 250 })
    expect(hint).toMatch(/^cloning took 250 ms per clone: this server runs with fsync on/)
    expect(hint).toContain('`npx workerdb doctor` says how')
  })
  it('keeps quiet when fsync is off, when copies were fast, or when nothing was copied (all from spares)', () => {
    expect(durabilityHint({ fsync: false, copies: 4, copyMs: 4000 })).toBeUndefined()
    expect(durabilityHint({ fsync: true, copies: 4, copyMs: 4 * (SLOW_COPY_MS - 1) })).toBeUndefined()
    expect(durabilityHint({ fsync: true, copies: 0, copyMs: 500 })).toBeUndefined()
  })
})
