/** The reporter's one line about the run: how Jest ran the files, the plan, the template, the timings. */
import type { Provisioned } from '@workerdb/core'
import type { JestRun } from './state.js'

const round = (n: number | undefined) => `${Math.round(n ?? 0)} ms`

export function summaryLine(run: JestRun, p: Provisioned, inBand: boolean, maxWorkers: number): string {
  const s = p.summary
  const n = s.clones
  const workers = inBand ? 'in band (one process, JEST_WORKER_ID=1)' : `${maxWorkers} worker${maxWorkers === 1 ? '' : 's'}`
  const t = s.template
  const template = t ? `template ${t.hash.slice(0, 10)} ${t.reused ? 'reused' : `built in ${round(t.ms)}`}` : 'no template'
  return `workerdb · jest ${run.jestVersion}: ${workers}, ${n} clone${n === 1 ? '' : 's'} (${s.plan.reason}); ${template}; ` +
    `ready in ${round(run.readyMs)} (server ${round(s.serverMs)}, template ${round(t?.ms)}, clones ${round(s.clonesMs)})`
}

