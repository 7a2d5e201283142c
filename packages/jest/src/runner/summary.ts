/** The reporter's one line about the run: how Jest ran the files, the plan, the template, the timings. */
import type { Provisioned } from '@workerdb/core'
import type { JestRun } from './state.js'

const round = (n: number | undefined) => `${Math.round(n ?? 0)} ms`

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

export function summaryLine(run: JestRun, p: Provisioned, inBand: boolean, maxWorkers: number): string {
  const s = p.summary
  const n = s.clones
  const workers = inBand ? 'in band (one process, JEST_WORKER_ID=1)' : `${maxWorkers} worker${maxWorkers === 1 ? '' : 's'}`
  const t = s.template
  const template = t ? `template ${t.hash.slice(0, 10)} ${t.reused ? 'reused' : `built in ${round(t.ms)}`}` : 'no template'
  return `workerdb · jest ${run.jestVersion}: ${workers}, ${n} clone${n === 1 ? '' : 's'} (${s.plan.reason}); ${template}; ` +
    readyParts(run.readyMs ?? 0, [['config', run.configMs], ['server', s.serverMs], ['template', t?.ms], ['clones', s.clonesMs]])
}

