/**
 * Is the process that made something still running? Markers and manifests record the pid and host of the
 * run that wrote them; the sweep, `status` and the worker ask here. Only answerable on the same host, and
 * precise only where /proc exists (Linux): elsewhere an alive pid may be a later process that reused it.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

/** Who made something: the fields a marker or a manifest records. */
export interface Owner {
  host: string
  pid: number
  /** When it was written: a process that started later only reused the pid. */
  createdAt?: string
  /** Written by a detached process that may outlive its run (a dropper): its pid says nothing. */
  detached?: boolean
  /** The writer's start time in clock ticks after boot (Linux): a process at its pid with another one reused the pid. */
  startTicks?: number
}

/** Does the owner's pid still run? 'unknown' on another host. */
export function isPidAlive(owner: Pick<Owner, 'host' | 'pid'>, host = hostname()): boolean | 'unknown' {
  if (owner.host !== host) return 'unknown'
  try {
    process.kill(owner.pid, 0)
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A killed runner whose parent died too is reparented to pid 1, and stays a zombie until pid 1 reaps it —
  // never, in a container whose pid 1 is not an init (npm, a shell): signal 0 still succeeds. Dead all the same.
  return !isZombie(owner.pid)
}

/**
 * Is the owner alive: its pid runs AND is the same process (a later process with a reused pid is not the
 * owner)? The start time the writer recorded (`startTicks`) tells exactly; without one (records written
 * before it existed), the process must have started before the record was written, which the wall clock
 * tells only to a few seconds. Where neither can be checked (no /proc, a detached writer), an alive pid
 * counts as unknown, so the caller's TTL applies.
 */
export function ownerAlive(owner: Owner, host = hostname()): boolean | 'unknown' {
  if (owner.detached) return 'unknown'
  const alive = isPidAlive(owner, host)
  if (alive !== true) return alive
  if (owner.startTicks !== undefined) {
    try {
      return readProcStat(owner.pid).startTicks === owner.startTicks
    } catch {
      return false // gone since isPidAlive asked
    }
  }
  const started = processStartedAt(owner.pid)
  if (started === undefined || owner.createdAt === undefined) return 'unknown'
  // /proc gives the boot time in whole seconds: allow for that.
  return started <= Date.parse(owner.createdAt) + 5000
}

/** A process as /proc/<pid>/stat describes it (Linux). */
export interface ProcStat {
  pid: number
  /** R, S, D, Z (zombie), T… */
  state: string
  ppid: number
  /** Its process group and session. */
  pgrp: number
  session: number
  /** The command name (may hold spaces and parentheses). */
  comm: string
  /** When it started, in clock ticks after boot. */
  startTicks: number
}

/** Reads /proc/<pid>/stat; throws when the process is gone or there is no /proc. */
export function readProcStat(pid: number): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // pid (comm) state ppid pgrp session …: comm may hold spaces and parentheses, so split after the last ')'.
  const close = stat.lastIndexOf(')')
  const fields = stat.slice(close + 2).split(' ')
  return {
    pid, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]),
    comm: stat.slice(stat.indexOf('(') + 1, close),
    startTicks: Number(fields[19]), // field 22 of stat, counted from `state` (field 3)
  }
}

/** Linux: the process has exited and only its exit status remains. Elsewhere: false (no /proc to ask). */
export function isZombie(pid: number): boolean {
  try {
    return readProcStat(pid).state === 'Z'
  } catch {
    return false
  }
}

/**
 * Linux: when the process with this pid started (ms since the epoch), to tell a live owner from a later
 * process that got the same pid. Undefined elsewhere, or when /proc cannot be read. Precision ~1 s (the
 * boot time is given in whole seconds; 100 clock ticks per second, as on every Linux workerdb runs on).
 */
export function processStartedAt(pid: number): number | undefined {
  try {
    const ticks = readProcStat(pid).startTicks
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    if (!Number.isFinite(ticks) || !Number.isFinite(btime)) return undefined
    return btime * 1000 + (ticks / 100) * 1000
  } catch {
    return undefined
  }
}

let ownTicks: number | undefined | null = null
/** This process's start time in clock ticks after boot (recorded with what it writes); undefined without /proc. */
export function ownStartTicks(): number | undefined {
  if (ownTicks === null) {
    try {
      ownTicks = readProcStat(process.pid).startTicks
    } catch {
      ownTicks = undefined
    }
  }
  return ownTicks
}
