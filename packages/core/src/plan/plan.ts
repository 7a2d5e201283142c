/**
 * The plan: how many clones a run needs. This is where Django's parallel runner went wrong (it made
 * min(processes, test classes) clones but started `processes` workers), so every rule in this folder comes
 * from reading the framework's pool code, and each has a unit test. The one law: never fewer clones than
 * worker ids that can run. One module per framework, each with its pool facts (pure functions only).
 */

export interface Plan {
  /** Clones to make: worker ids 1..count each get one. */
  count: number
  /** The inputs in one human line, for the summary and for E_NO_CLONE: "vitest 4, pool forks, maxWorkers 4, 6 test files". */
  reason: string
}

/** A positive integer count, or undefined for anything else (unset, 0, NaN, a percentage left unresolved). */
export function positive(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined
}
