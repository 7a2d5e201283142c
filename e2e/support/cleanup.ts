/**
 * The cleanup of one e2e test file's scenarios, whichever framework they run: after each test the process
 * groups of its runs are killed and its scenario dirs removed (pass or fail); after the file, every
 * database and role of its prefixes (templates too) is dropped, and leftovers of e2e runs that died are swept.
 */
import { afterAll, afterEach } from 'vitest'
import { dropPrefix } from '../../test-support/pg.js'
import { killAll } from '../../test-support/processes.js'

export function useScenarioCleanup<P extends { prefix: string; remove(): void }>(sweepStale: () => Promise<void>): (project: P) => P {
  const prefixes = new Set<string>()
  const projects = new Set<P>()
  afterEach(() => {
    killAll()
    for (const p of projects) p.remove()
    projects.clear()
  })
  afterAll(async () => {
    killAll()
    for (const p of prefixes) await dropPrefix(p)
    await sweepStale()
  })
  return (project) => {
    prefixes.add(project.prefix)
    projects.add(project)
    return project
  }
}
