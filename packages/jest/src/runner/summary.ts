/** The reporter's one line about the run: how Jest ran the files, and the timings. */
import { plural, type Provisioned } from '@workerdb/core/runner'
import type { JestRun } from './state.js'


/**
 * Where the time until the clones were ready went: each part rounded, and what the named parts do not cover
 * (planning, the run's files, the connection checks) as `other`, so that the parts add up to the total.
 */
export function readyParts(readyMs: number, parts: Array<[string, number | undefined]>): string {
  // Rounded as running sums, so the rounded parts add up exactly (the parts lie within the total).
  let sum = 0
  let shown = 0
  const named = parts.map(([label, ms]) => {
    sum += ms ?? 0
    const part = Math.round(sum) - shown
    shown += part
    return `${label} ${part} ms`
  })
  const total = Math.max(Math.round(readyMs), shown)
  return `ready in ${total} ms (${[...named, `other ${total - shown} ms`].join(', ')})`
}

/**
 * After the provisioning lines (server, template, plan, clones): only what they could not say — how Jest
 * really ran the files (it decides on in band after globalSetup) — and where the time until ready went.
 */
export function summaryLine(run: JestRun, p: Provisioned, inBand: boolean, maxWorkers: number): string {
  const s = p.summary
  const workers = inBand ? 'in band (one process, JEST_WORKER_ID=1)' : `${plural(maxWorkers, 'worker')}`
  return `workerdb · jest ${run.jestVersion}: ${workers} on ${plural(s.clones, 'clone')}; ` +
    readyParts(run.readyMs ?? 0, [['config', run.configMs], ['server', s.serverMs], ['template', s.template?.ms], ['clones', s.clonesMs]])
}
