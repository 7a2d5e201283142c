/**
 * The template hash: everything that shapes the schema goes in, so that a warm run may reuse a template
 * only when it would have built the very same one (pgtestdb's rule).
 */
import { createHash } from 'node:crypto'
import type { DialectName } from './dialect.js'

/** Bump when the way workerdb builds templates changes: old templates then stop matching. */
export const FORMAT_VERSION = 1

export interface HashInputs {
  /** What the migrator contributes: file names and contents, a command line, a function's source… */
  migrator: ReadonlyArray<readonly [string, string | Buffer]>
  /** Server major version: a template from PG 16 is not a template for PG 17. */
  serverMajor: number
  /** A user-chosen key, to force a rebuild or to separate otherwise identical setups. */
  key?: string
  /** The database kind. PostgreSQL's adds nothing, so hashes made before there were other kinds still match. */
  dialect?: DialectName
}

export function templateHash(inputs: HashInputs): string {
  const h = createHash('sha256')
  const field = (name: string, value: string | Buffer) => {
    // Length-prefixed so that ("ab","c") and ("a","bc") never hash alike.
    const buf = typeof value === 'string' ? Buffer.from(value) : value
    h.update(`${name}:${buf.length}:`)
    h.update(buf)
    h.update('\n')
  }
  field('format', String(FORMAT_VERSION))
  field('server', String(inputs.serverMajor))
  field('key', inputs.key ?? '')
  if (inputs.dialect && inputs.dialect !== 'postgres') field('dialect', inputs.dialect)
  // Sorted, so the order in which a directory happens to be listed never changes the hash.
  const parts = [...inputs.migrator].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [name, value] of parts) field(`m:${name}`, value)
  return h.digest('hex')
}
