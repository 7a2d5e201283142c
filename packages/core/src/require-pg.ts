/**
 * pg, loaded without the cost of its runtime probe. At load, pg 8 asks whether it runs in a Cloudflare
 * Worker: first through `navigator.userAgent` (Node 21+ has a navigator, 'Node.js/…'), and where there is
 * none — Node 20 — by constructing a `Response`, which makes Node load its whole fetch implementation
 * (undici): about half of pg's load time, on the runner's main thread before its workers start, and in
 * every test file's process that resets its database. On Node 20 the load gets the answer
 * Node 21 would give, for the synchronous require only; the global is gone again before anything else runs.
 */
export function requirePg(require: (id: string) => unknown, id = 'pg'): typeof import('pg') {
  const g = globalThis as { navigator?: unknown }
  if (g.navigator !== undefined) return require(id) as typeof import('pg')
  Object.defineProperty(g, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true, writable: true })
  try {
    return require(id) as typeof import('pg')
  } finally {
    delete g.navigator
  }
}
