/** What a run reports about itself: the summary the adapters print, and the file CI dashboards read. */
import { writeFileSync } from 'node:fs'
import type { CloneUse } from '../runfile/clone-use.js'
import type { Logger } from '../log.js'
import type { Plan } from '../plan/plan.js'
import type { TemplateResult } from './template.js'

export interface ProvisionSummary {
  runId: string
  server: string
  /** Starting the server (embedded, container) and reaching it: connect and server facts. */
  serverMs: number
  template: TemplateResult | null
  clones: number
  clonesMs: number
  strategy: string
  plan: Plan
  /** Clones taken from spares the previous runs made (renamed, not copied). */
  fromSpares?: number
  /** Filled in at teardown. */
  sparesMade?: number
  dropped?: number
  /** The dropper's pid, when teardown handed the drops to it. */
  dropperPid?: number
  /** Which clones the tests connected to, and which other databases they may have used instead (PostgreSQL 14+). */
  cloneUse?: CloneUse
  teardownMs?: number
}

/** WORKERDB_SUMMARY_FILE: a machine-readable record of the run (CI dashboards, the demo's table). */
export function recordSummary(summary: ProvisionSummary, log: Logger): void {
  const file = process.env.WORKERDB_SUMMARY_FILE
  if (!file) return
  try {
    writeFileSync(file, JSON.stringify(summary, null, 2))
  } catch (err) {
    // A record for dashboards must never fail the run it records.
    log.warn(`cannot write WORKERDB_SUMMARY_FILE ${file}: ${(err as Error).message}`)
  }
}
