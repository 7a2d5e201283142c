/**
 * The advisory locks workerdb takes, and the one way it takes them. Two locks per template hash, keyed
 * on different bits of the hash so neither waits on the other:
 * - the template lock: a build holds it exclusively; a run holds it shared while it clones (so no sweep,
 *   which needs it exclusively, takes the template away) and a spare maker while it copies;
 * - the spare-claim lock: serialises runs taking one template's spares as their clones.
 * Session locks go with the session: a killed run releases everything it held. Each kind takes them its
 * own way (AdminSession.lock); withLock and withLockIfFree are the one way workerdb holds one around work.
 */

export interface AdvisoryLock {
  /** The 64-bit key, as text: PostgreSQL's advisory locks take a bigint parameter that way. */
  key: string
  /** The same lock as a name of at most 64 characters, for kinds that lock by name (MySQL's GET_LOCK, lock files). */
  name: string
}

/** 64 bits of the hash: different templates build in parallel. */
export function templateLock(hash: string): AdvisoryLock {
  return { key: BigInt.asIntN(64, BigInt('0x' + hash.slice(0, 16))).toString(), name: `workerdb_t_${hash.slice(0, 16)}` }
}

/** The next 64 bits: claims never wait on builds. */
export function spareClaimLock(hash: string): AdvisoryLock {
  return { key: BigInt.asIntN(64, BigInt('0x' + hash.slice(16, 32))).toString(), name: `workerdb_s_${hash.slice(16, 32)}` }
}

export type LockMode = 'exclusive' | 'shared'

/** What holds locks: an admin session (dialect.ts). */
export interface Locker {
  lock(l: AdvisoryLock, mode?: LockMode): Promise<void>
  tryLock(l: AdvisoryLock): Promise<boolean>
  unlock(l: AdvisoryLock, mode?: LockMode): Promise<void>
}

/** Runs `fn` holding the exclusive lock, waiting for it. */
export async function withLock<T>(session: Locker, l: AdvisoryLock, fn: () => Promise<T>): Promise<T> {
  await session.lock(l)
  try {
    return await fn()
  } finally {
    await session.unlock(l)
  }
}

/** Runs `fn` holding the exclusive lock if it is free right now; undefined when it is not. */
export async function withLockIfFree<T>(session: Locker, l: AdvisoryLock, fn: () => Promise<T>): Promise<T | undefined> {
  if (!(await session.tryLock(l))) return undefined
  try {
    return await fn()
  } finally {
    await session.unlock(l)
  }
}
