import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

// Both entry points are emitted into dist/ next to setup.js, so one relative URL serves them.
export const GLOBAL_SETUP_FILE = fileURLToPath(new URL('./global-setup.js', import.meta.url))
export const SETUP_FILE = fileURLToPath(new URL('./setup.js', import.meta.url))

/**
 * Our own built files, for `server.deps.external`: Vitest runs files outside node_modules through its
 * transform pipeline, which is how a workspace link (our e2e, a monorepo that builds workerdb) would load
 * the worker side in every test file. Installed from npm they are external anyway; this makes linked
 * installs load them the same way, natively, which halves the setup cost per file.
 * All but setup.js itself, which the plugin inlines (see index.ts): its top level must run for every file.
 */
export const OWN_DIST_DIRS = [dirname(GLOBAL_SETUP_FILE), dirname(createRequire(import.meta.url).resolve('@workerdb/core'))]

export function externalPattern(dir: string): RegExp {
  return new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`)
}

/** Exactly this file (`server.deps.inline`). */
export function filePattern(file: string): RegExp {
  return new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
}
