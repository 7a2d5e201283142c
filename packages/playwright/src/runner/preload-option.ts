/**
 * NODE_OPTIONS with workerdb's preload added: how every worker Playwright starts after globalSetup maps
 * itself to its clone before any module loads (worker/preload.ts says why). Pure.
 */

/** `current` (the NODE_OPTIONS in force, if any) plus `--require "<file>"`, quoted as Node parses NODE_OPTIONS. */
export function withPreload(current: string | undefined, file: string): string {
  const option = `--require "${file.replace(/(["\\])/g, '\\$1')}"`
  if (!current?.trim()) return option
  return current.includes(option) ? current : `${current} ${option}`
}
