/**
 * A start signal for background work that should wait until the test workers are up. On a small machine
 * the workers' boot is a run's critical path (0.4–0.8 s on 2 cores, measured), and every backend and
 * query started meanwhile takes a share of the cores they boot on; the sweep and the spare copies have
 * the whole run to finish in. Teardown calls `now()`: a run shorter than the delay does not wait for it.
 */
export interface DeferredStart {
  /** Resolves after the delay, or at once after `now()`. */
  readonly ready: Promise<void>
  now(): void
}

/** How long background work waits for the workers to boot. */
export const WORKERS_BOOT_MS = 1000

export function deferredStart(ms: number): DeferredStart {
  let go!: () => void
  const ready = new Promise<void>((resolve) => { go = resolve })
  if (ms <= 0) go()
  // unref: a signal nobody awaits must not keep the process alive.
  else setTimeout(() => go(), ms).unref()
  return { ready, now: () => go() }
}
