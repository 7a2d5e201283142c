/**
 * Jest's own packages (@jest/test-sequencer, @jest/reporters) are taken from the Jest that is running, not
 * from wherever this package's peer dependencies happened to resolve: a Jest 29 run must extend Jest 29's
 * sequencer (Jest 30's constructor destructures an argument Jest 29 never passes), the copy Jest already
 * loaded costs nothing, and under pnpm these packages are not reachable from the user's project at all.
 */
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

// A require of our own: the ambient one does not exist where Vitest runs this file as ESM (the unit tests).
const ownRequire = createRequire(__filename)

export interface Anchors {
  /** Files inside the running Jest (its bin script): @jest/core is their own dependency. */
  bins: string[]
  /** Project files: their `jest` dependency leads to its @jest/core. */
  projects: string[]
}

/** Where to start looking for the running Jest: its bin script (`jest`, `jest-cli`), then the project. */
export function defaultAnchors(): Anchors {
  const bins = [ownRequire.main?.filename, process.argv[1]].filter((f): f is string => Boolean(f))
  return { bins, projects: [join(process.cwd(), 'package.json')] }
}

function real(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return file
  }
}

function tryResolve(req: NodeRequire, id: string): string | undefined {
  try {
    return req.resolve(id)
  } catch {
    return undefined
  }
}

/** The `package.json` of the @jest/core that runs this process, or undefined outside Jest. */
export function findJestCore(anchors: Anchors = defaultAnchors()): string | undefined {
  // Order matters where NODE_PATH is set (pnpm's bin shims add its hoisted store, with some other
  // version of @jest/core in it): a dependency next to the anchor always wins over NODE_PATH.
  for (const bin of anchors.bins) {
    // From where the file really is (argv[1] may be a package manager's symlink): its neighbours are Jest's.
    const found = tryResolve(createRequire(real(bin)), '@jest/core/package.json')
    if (found) return found
  }
  for (const project of anchors.projects) {
    const req = createRequire(project)
    const jest = tryResolve(req, 'jest/package.json')
    const found = (jest && tryResolve(createRequire(jest), '@jest/core/package.json')) || tryResolve(req, '@jest/core/package.json')
    if (found) return found
  }
  return undefined
}

export type JestModuleId = '@jest/test-sequencer' | '@jest/reporters' | '@jest/transform'

export interface JestModules {
  /** Jest's version (@jest/core ships in lockstep with jest), or undefined when Jest was not found. */
  version: string | undefined
  /** The resolved file of each module, for diagnostics and tests. */
  resolve(id: JestModuleId): string
  load<T>(id: JestModuleId): T
}

export function jestModules(anchors?: Anchors): JestModules {
  const corePkg = findJestCore(anchors)
  const core = corePkg ? createRequire(corePkg) : undefined
  const config = core && tryResolve(core, 'jest-config')
  const from: Record<string, NodeRequire | undefined> = {
    '@jest/reporters': core,
    // What Jest loads a globalSetup through (a project's own, in TypeScript or ESM, run by addWorkerDb's).
    '@jest/transform': core,
    // A dependency of jest-config, which sets it as the default testSequencer.
    '@jest/test-sequencer': config ? createRequire(config) : core,
  }
  const resolve = (id: string): string => {
    const req = from[id]
    const found = req && tryResolve(req, id)
    // Outside a Jest process (or an unusual layout): this package's own optional peer dependency.
    return found ?? ownRequire.resolve(id)
  }
  return {
    version: corePkg ? (ownRequire(corePkg) as { version: string }).version : undefined,
    resolve,
    load: <T>(id: string) => {
      const mod = ownRequire(resolve(id)) as { default?: T } & T
      return (mod && mod.default) ?? mod
    },
  }
}

