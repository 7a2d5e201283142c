/**
 * Shared/exclusive session locks out of GET_LOCK, which only knows exclusive named locks (a session may
 * hold several, and counts re-takes of one). Each AdvisoryLock is a gate, `name`, plus READER_SLOTS
 * reader slots, `name_r0`…: a shared holder passes the gate and keeps one free slot; an exclusive holder
 * keeps the gate (so no new reader gets in) and waits until no other session holds a slot. Like every
 * GET_LOCK, all of it goes with the session: a killed run releases what it held.
 *
 * Not PostgreSQL's lock manager: a session waiting for the exclusive lock while it holds the shared one
 * waits for ever if another session already waits for it exclusively (the engine never upgrades).
 */
import type { AdvisoryLock, LockMode } from '../locks.js'
import { batch, lit, rows, type Conn } from './session.js'

/** Shared holders at once per lock; one more waits (polling) until a slot frees. */
export const READER_SLOTS = 16
/** GET_LOCK's wait per call, in seconds: waits are this in a loop, so for ever. */
const WAIT_SECONDS = 3600
const POLL_MS = 25

/** The reader slots one session holds, per lock name: a stack, since shared locks nest. */
export type HeldSlots = Map<string, number[]>

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function slot(l: AdvisoryLock, i: number): string {
  // GET_LOCK names are at most 64 characters; AdvisoryLock names are made well within that.
  return `${l.name.slice(0, 60)}_r${i}`
}

function slots(l: AdvisoryLock): string[] {
  return Array.from({ length: READER_SLOTS }, (_, i) => slot(l, i))
}

/** How many reader slots sessions other than this one hold. */
function othersSql(l: AdvisoryLock): string {
  return 'SELECT ' + slots(l).map((s) => `(COALESCE(IS_USED_LOCK(${lit(s)}), CONNECTION_ID()) <> CONNECTION_ID())`).join(' + ') + ' AS n'
}

function gateSql(l: AdvisoryLock, seconds: number): string {
  return `SELECT GET_LOCK(${lit(l.name)}, ${seconds}) AS g`
}

function got(result: unknown): number | null {
  const v = (result as Array<Record<string, unknown>>)[0]
  const g = v?.g ?? v?.n ?? v?.s
  return g === null || g === undefined ? null : Number(g)
}

/** Waits for the gate (GET_LOCK returns 0 after each wait, NULL on an error such as a kill). */
async function takeGate(conn: Conn, l: AdvisoryLock): Promise<void> {
  for (;;) {
    const g = got(await rows(conn, gateSql(l, WAIT_SECONDS)))
    if (g === 1) return
    if (g === null) throw new Error(`GET_LOCK(${l.name}) failed`)
  }
}

export async function lockMysql(conn: Conn, held: HeldSlots, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  if (mode === 'shared') return lockShared(conn, held, l)
  // The gate and a first look at the slots in one round trip: most of the time nobody reads.
  const [gate, others] = await batch(conn, [gateSql(l, WAIT_SECONDS), othersSql(l)])
  const g = got(gate)
  if (g === null) throw new Error(`GET_LOCK(${l.name}) failed`)
  if (g === 1 && got(others) === 0) return
  if (g !== 1) await takeGate(conn, l)
  try {
    while (got(await rows(conn, othersSql(l))) !== 0) await sleep(POLL_MS)
  } catch (err) {
    await conn.query(`DO RELEASE_LOCK(${lit(l.name)})`).catch(() => {})
    throw err
  }
}

async function lockShared(conn: Conn, held: HeldSlots, l: AdvisoryLock): Promise<void> {
  const mine = held.get(l.name) ?? []
  if (mine.length) {
    // Shared again in the same session: the slot it holds, taken once more (GET_LOCK counts).
    await conn.query(`DO GET_LOCK(${lit(slot(l, mine[0]!))}, 0)`)
    mine.push(mine[0]!)
    return
  }
  // CASE stops at the first slot it gets, so this takes exactly one, or none when all are taken.
  const take = 'SELECT CASE ' + slots(l).map((s, i) => `WHEN GET_LOCK(${lit(s)}, 0) = 1 THEN ${i}`).join(' ') + ' ELSE -1 END AS s'
  for (;;) {
    await takeGate(conn, l)
    const [taken] = await batch(conn, [take, `DO RELEASE_LOCK(${lit(l.name)})`])
    const i = got(taken)
    if (i !== null && i >= 0) {
      held.set(l.name, [...mine, i])
      return
    }
    await sleep(POLL_MS)
  }
}

/** The exclusive lock if nobody holds it in any mode, without waiting; true when taken. */
export async function tryLockMysql(conn: Conn, l: AdvisoryLock): Promise<boolean> {
  const [gate, others] = await batch(conn, [gateSql(l, 0), othersSql(l)])
  if (got(gate) !== 1) return false
  if (got(others) === 0) return true
  await conn.query(`DO RELEASE_LOCK(${lit(l.name)})`).catch(() => {})
  return false
}

/** Never throws: a session that broke has released its locks already. */
export async function unlockMysql(conn: Conn, held: HeldSlots, l: AdvisoryLock, mode: LockMode = 'exclusive'): Promise<void> {
  if (mode === 'exclusive') {
    await conn.query(`DO RELEASE_LOCK(${lit(l.name)})`).catch(() => {})
    return
  }
  const mine = held.get(l.name)
  const i = mine?.pop()
  if (!mine?.length) held.delete(l.name)
  if (i === undefined) return
  await conn.query(`DO RELEASE_LOCK(${lit(slot(l, i))})`).catch(() => {})
}
