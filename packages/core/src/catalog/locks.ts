/**
 * The advisory locks workerdb takes, and the one way it takes them. Two locks per template hash, keyed
 * on different bits of the hash so neither waits on the other:
 * - the template lock: a build holds it exclusively; a run holds it shared while it clones (so no sweep,
 *   which needs it exclusively, takes the template away) and a spare maker while it copies;
 * - the spare-claim lock: serialises runs renaming one template's spares into clones.
 * Session locks go with the session: a killed run releases everything it held.
 */
import type { Client } from './db.js'

export interface AdvisoryLock {
  /** The 64-bit key, as text: pg takes a bigint parameter that way. */
  key: string
}

/** 64 bits of the hash: different templates build in parallel. */
export function templateLock(hash: string): AdvisoryLock {
  return { key: BigInt.asIntN(64, BigInt('0x' + hash.slice(0, 16))).toString() }
}

/** The next 64 bits: claims never wait on builds. */
export function spareClaimLock(hash: string): AdvisoryLock {
  return { key: BigInt.asIntN(64, BigInt('0x' + hash.slice(16, 32))).toString() }
}

export type LockMode = 'exclusive' | 'shared'

const LOCK = { exclusive: 'pg_advisory_lock', shared: 'pg_advisory_lock_shared' } as const
const UNLOCK = { exclusive: 'pg_advisory_unlock', shared: 'pg_advisory_unlock_shared' } as const

/** Waits for the lock in `client`'s session. */
export async function lock(client: Client, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  await client.query(`select ${LOCK[mode]}($1::bigint)`, [l.key])
}

/** Takes the exclusive lock only if no one holds the lock in any mode; true when taken. */
export async function tryLock(client: Client, l: AdvisoryLock): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [l.key])
  return rows[0]!.locked
}

/** Never throws: a session that broke has released its locks already. */
export async function unlock(client: Client, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  await client.query(`select ${UNLOCK[mode]}($1::bigint)`, [l.key]).catch(() => {})
}

/** Held until the transaction `client` is in ends, however it ends. */
export async function lockForTransaction(client: Client, l: AdvisoryLock): Promise<void> {
  await client.query('select pg_advisory_xact_lock($1::bigint)', [l.key])
}

/** Runs `fn` holding the exclusive lock, waiting for it. */
export async function withLock<T>(client: Client, l: AdvisoryLock, fn: () => Promise<T>): Promise<T> {
  await lock(client, l)
  try {
    return await fn()
  } finally {
    await unlock(client, l)
  }
}

/** Runs `fn` holding the exclusive lock if it is free right now; undefined when it is not. */
export async function withLockIfFree<T>(client: Client, l: AdvisoryLock, fn: () => Promise<T>): Promise<T | undefined> {
  if (!(await tryLock(client, l))) return undefined
  try {
    return await fn()
  } finally {
    await unlock(client, l)
  }
}
