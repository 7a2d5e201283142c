import { describe, expect, it } from 'vitest'
import { planVitest, vitest3MixedPools, vitestDefaultWorkers, type VitestFacts, type VitestPoolOptions, type VitestProjectFacts } from '../src/plan/vitest.js'
import { cloneFor } from '../src/worker.js'
import type { Manifest } from '../src/runfile/manifest.js'
import { rng } from './helpers.js'

/** One project with `files` spec files in `pool`; everything else at Vitest's defaults on an 8-core box. */
function facts(over: Partial<VitestFacts> & { files?: number; pool?: string } = {}): VitestFacts {
  const { files = 6, pool = 'forks', ...rest } = over
  return {
    major: 4,
    watch: false,
    cpus: 8,
    fileParallelism: true,
    projects: [{ name: 'unit', pool, specCount: files }],
    ...rest,
  }
}

function project(p: Partial<VitestProjectFacts> & { specCount: number }): VitestProjectFacts {
  return { name: p.name ?? 'p', pool: p.pool ?? 'forks', ...p }
}

/** A manifest with one clone per planned slot, as provision() writes it. */
function manifestFor(count: number, reason: string): Manifest {
  return {
    version: 1, runId: 'abcd1234', framework: 'vitest 3.2.4', plan: { count, reason }, server: 'test', env: { DATABASE_URL: 'url' },
    workerIdVar: 'VITEST_POOL_ID', template: null,
    clones: Array.from({ length: count }, (_, i) => ({ slot: i + 1, database: `wdb_abcd1234_${i + 1}`, url: `postgresql://u@h/wdb_abcd1234_${i + 1}` })),
  }
}

describe('vitestDefaultWorkers', () => {
  it('uses cores − 1 for `vitest run`', () => {
    expect(vitestDefaultWorkers(8, false)).toBe(7)
    expect(vitestDefaultWorkers(4, false)).toBe(3)
    expect(vitestDefaultWorkers(2, false)).toBe(1)
  })

  it('uses half the cores (rounded down) in watch mode', () => {
    expect(vitestDefaultWorkers(8, true)).toBe(4)
    expect(vitestDefaultWorkers(7, true)).toBe(3)
    expect(vitestDefaultWorkers(3, true)).toBe(1)
  })

  it('never goes below 1', () => {
    for (const cpus of [0, 1, 2]) {
      expect(vitestDefaultWorkers(cpus, false)).toBeGreaterThanOrEqual(1)
      expect(vitestDefaultWorkers(cpus, true)).toBeGreaterThanOrEqual(1)
    }
    expect(vitestDefaultWorkers(1, false)).toBe(1)
    expect(vitestDefaultWorkers(1, true)).toBe(1)
  })
})

describe('planVitest — Vitest 3 (one tinypool per pool type, sized from the root config)', () => {
  const v3 = (over: Parameters<typeof facts>[0] = {}) => facts({ major: 3, ...over })

  describe('the seed bug: never capped by the file count', () => {
    it('2 files, maxWorkers 4, forks → 4 clones', () => {
      expect(planVitest(v3({ files: 2, maxWorkers: 4 })).count).toBe(4)
    })

    it('1 file with the default pool of an 8-core box → 7 clones, not 1', () => {
      expect(planVitest(v3({ files: 1 })).count).toBe(7)
    })

    it('a watch rerun of 2 files on a pool of 4 may land on ids {3,4}: both have a clone', () => {
      const plan = planVitest(v3({ files: 2, watch: true, poolOptions: { forks: { maxForks: 4 } } }))
      expect(plan.count).toBe(4)
      const manifest = manifestFor(plan.count, plan.reason)
      expect(cloneFor(manifest, '3').slot).toBe(3)
      expect(cloneFor(manifest, '4').slot).toBe(4)
    })

    it('the same rerun sized by maxWorkers (threads pool) also covers ids {3,4}', () => {
      const plan = planVitest(v3({ files: 2, watch: true, pool: 'threads', maxWorkers: 4 }))
      expect(plan.count).toBe(4)
      const manifest = manifestFor(plan.count, plan.reason)
      expect(() => cloneFor(manifest, '3')).not.toThrow()
      expect(() => cloneFor(manifest, '4')).not.toThrow()
    })
  })

  describe('pool size: poolOptions.<pool>.max{Forks,Threads} ?? maxWorkers ?? default', () => {
    it('forks: maxForks wins over maxWorkers', () => {
      expect(planVitest(v3({ maxWorkers: 6, poolOptions: { forks: { maxForks: 3 } } })).count).toBe(3)
      expect(planVitest(v3({ maxWorkers: 2, poolOptions: { forks: { maxForks: 5 } } })).count).toBe(5)
    })

    it('threads: maxThreads wins over maxWorkers', () => {
      expect(planVitest(v3({ pool: 'threads', maxWorkers: 6, poolOptions: { threads: { maxThreads: 3 } } })).count).toBe(3)
    })

    it('falls back to maxWorkers when the pool has no max of its own', () => {
      expect(planVitest(v3({ maxWorkers: 5 })).count).toBe(5)
      expect(planVitest(v3({ pool: 'threads', maxWorkers: 5, poolOptions: { threads: {} } })).count).toBe(5)
    })

    it('falls back to the default from cpus when nothing is set (run: cpus − 1, watch: cpus / 2)', () => {
      expect(planVitest(v3({ cpus: 6, files: 1 })).count).toBe(5)
      expect(planVitest(v3({ cpus: 6, files: 1, watch: true })).count).toBe(3)
      expect(planVitest(v3({ cpus: 1, files: 9 })).count).toBe(1)
    })

    it('reads only the option of its own pool type', () => {
      // forks ignores maxThreads, threads ignores maxForks
      expect(planVitest(v3({ maxWorkers: 2, poolOptions: { threads: { maxThreads: 9 } } })).count).toBe(2)
      expect(planVitest(v3({ pool: 'threads', maxWorkers: 2, poolOptions: { forks: { maxForks: 9 } } })).count).toBe(2)
      expect(planVitest(v3({ pool: 'forks', maxWorkers: 2, poolOptions: { forks: { maxThreads: 9 } } })).count).toBe(2)
    })

    it('vmForks uses poolOptions.vmForks.maxForks', () => {
      expect(planVitest(v3({ pool: 'vmForks', maxWorkers: 2, poolOptions: { vmForks: { maxForks: 5 } } })).count).toBe(5)
      expect(planVitest(v3({ pool: 'vmForks', maxWorkers: 2, poolOptions: { vmForks: { maxThreads: 5 }, forks: { maxForks: 7 } } })).count).toBe(2)
    })

    it('vmThreads uses poolOptions.vmThreads.maxThreads', () => {
      expect(planVitest(v3({ pool: 'vmThreads', maxWorkers: 2, poolOptions: { vmThreads: { maxThreads: 6 } } })).count).toBe(6)
      expect(planVitest(v3({ pool: 'vmThreads', maxWorkers: 2, poolOptions: { vmThreads: { maxForks: 6 }, threads: { maxThreads: 7 } } })).count).toBe(2)
    })

    it('treats non-positive or non-finite limits as unset, and rounds fractions down', () => {
      expect(planVitest(v3({ maxWorkers: 3, poolOptions: { forks: { maxForks: 0 } } })).count).toBe(3)
      expect(planVitest(v3({ maxWorkers: 3, poolOptions: { forks: { maxForks: Number.NaN } } })).count).toBe(3)
      expect(planVitest(v3({ maxWorkers: 0, cpus: 4 })).count).toBe(3)
      expect(planVitest(v3({ maxWorkers: 3.9 })).count).toBe(3)
    })
  })

  describe('one worker at a time → 1 clone', () => {
    it('singleFork', () => {
      expect(planVitest(v3({ maxWorkers: 4, poolOptions: { forks: { singleFork: true, maxForks: 4 } } })).count).toBe(1)
    })

    it('singleThread', () => {
      expect(planVitest(v3({ pool: 'threads', maxWorkers: 4, poolOptions: { threads: { singleThread: true } } })).count).toBe(1)
    })

    it('singleFork applies to vmForks, singleThread to vmThreads', () => {
      expect(planVitest(v3({ pool: 'vmForks', maxWorkers: 4, poolOptions: { vmForks: { singleFork: true } } })).count).toBe(1)
      expect(planVitest(v3({ pool: 'vmThreads', maxWorkers: 4, poolOptions: { vmThreads: { singleThread: true } } })).count).toBe(1)
    })

    it('singleThread does not shrink a forks pool (and singleFork not a threads pool)', () => {
      expect(planVitest(v3({ maxWorkers: 4, poolOptions: { forks: { singleThread: true } } })).count).toBe(4)
      expect(planVitest(v3({ pool: 'threads', maxWorkers: 4, poolOptions: { threads: { singleFork: true } } })).count).toBe(4)
    })

    it('fileParallelism: false', () => {
      expect(planVitest(v3({ maxWorkers: 4, fileParallelism: false, poolOptions: { forks: { maxForks: 4 } } })).count).toBe(1)
      expect(planVitest(v3({ fileParallelism: false, watch: true })).count).toBe(1)
    })
  })

  describe('several projects', () => {
    it('projects of one pool type share one pool: the pool size, not the sum', () => {
      const f = v3({ maxWorkers: 3, projects: [project({ specCount: 10 }), project({ name: 'b', specCount: 10 })] })
      expect(planVitest(f).count).toBe(3)
    })

    it('ignores per-project maxWorkers (Vitest 3 sizes pools from the root config)', () => {
      const f = v3({ maxWorkers: 3, projects: [project({ specCount: 10, maxWorkers: 8 })] })
      expect(planVitest(f).count).toBe(3)
    })

    it('mixed pool types: enough clones for the largest pool, and the pools are reported', () => {
      const f = v3({
        maxWorkers: 2,
        poolOptions: { threads: { maxThreads: 5 } },
        projects: [project({ pool: 'forks', specCount: 1 }), project({ name: 'b', pool: 'threads', specCount: 1 })],
      })
      const plan = planVitest(f)
      expect(plan.count).toBe(5)
      expect(plan.reason).toContain('forks')
      expect(plan.reason).toContain('threads')
      expect(vitest3MixedPools(f).sort()).toEqual(['forks', 'threads'])
    })
  })
})

describe('planVitest — Vitest 4+ (one pool for all projects, ids 1..M per group)', () => {
  it('sizes to min(spec files, maxWorkers)', () => {
    expect(planVitest(facts({ files: 2, maxWorkers: 4 })).count).toBe(2)
    expect(planVitest(facts({ files: 10, maxWorkers: 4 })).count).toBe(4)
    expect(planVitest(facts({ files: 4, maxWorkers: 4 })).count).toBe(4)
  })

  it('counts files across all projects', () => {
    const f = facts({ maxWorkers: 4, projects: [project({ specCount: 1 }), project({ name: 'b', specCount: 2 })] })
    expect(planVitest(f).count).toBe(3)
  })

  it('uses the default from cpus when maxWorkers is unset', () => {
    expect(planVitest(facts({ cpus: 8, files: 20 })).count).toBe(7)
    expect(planVitest(facts({ cpus: 2, files: 20 })).count).toBe(1)
  })

  it('a project maxWorkers above the root one raises M (root 2, project 6 → up to 6)', () => {
    const many = facts({ maxWorkers: 2, projects: [project({ specCount: 10, maxWorkers: 6 })] })
    expect(planVitest(many).count).toBe(6)
    const few = facts({ maxWorkers: 2, projects: [project({ specCount: 3, maxWorkers: 6 })] })
    expect(planVitest(few).count).toBe(3)
  })

  it('a project maxWorkers below the root one lowers M for that project only', () => {
    expect(planVitest(facts({ maxWorkers: 6, projects: [project({ specCount: 10, maxWorkers: 2 })] })).count).toBe(2)
    const mixed = facts({ maxWorkers: 6, projects: [project({ specCount: 10, maxWorkers: 2 }), project({ name: 'b', specCount: 10 })] })
    expect(planVitest(mixed).count).toBe(6)
  })

  it('takes the largest M across projects with specs', () => {
    const f = facts({ maxWorkers: 1, projects: [project({ specCount: 4, maxWorkers: 3 }), project({ name: 'b', specCount: 4, maxWorkers: 5 })] })
    expect(planVitest(f).count).toBe(5)
  })

  it('ignores projects with no specs in this run (their maxWorkers does not count)', () => {
    const f = facts({ maxWorkers: 2, projects: [project({ specCount: 5 }), project({ name: 'idle', specCount: 0, maxWorkers: 8 })] })
    expect(planVitest(f).count).toBe(2)
  })

  it('ignores typescript and browser pools (their files do not run in VITEST_POOL_ID workers)', () => {
    const f = facts({
      maxWorkers: 4,
      projects: [
        project({ pool: 'forks', specCount: 1 }),
        project({ name: 'types', pool: 'typescript', specCount: 10, maxWorkers: 8 }),
        project({ name: 'web', pool: 'browser', specCount: 10, maxWorkers: 8 }),
      ],
    })
    const plan = planVitest(f)
    expect(plan.count).toBe(1)
    expect(plan.reason).toContain('1 test file')
    expect(plan.reason).not.toMatch(/typescript|browser/)
  })

  it('needs no clones when no worker pool has specs', () => {
    expect(planVitest(facts({ files: 0 })).count).toBe(0)
    expect(planVitest(facts({ projects: [] })).count).toBe(0)
    expect(planVitest(facts({ projects: [project({ pool: 'browser', specCount: 5 })] })).count).toBe(0)
    expect(planVitest(facts({ major: 3, files: 0, maxWorkers: 4 })).count).toBe(0)
    expect(planVitest(facts({ files: 0 })).reason).toContain('0 test files')
  })

  it('watch mode sizes to M, not to the first run\'s files (later reruns may run more)', () => {
    expect(planVitest(facts({ watch: true, files: 2, maxWorkers: 4 })).count).toBe(4)
    expect(planVitest(facts({ watch: true, files: 1, cpus: 8 })).count).toBe(4)
    expect(planVitest(facts({ watch: true, files: 1, maxWorkers: 2, projects: [project({ specCount: 1, maxWorkers: 6 })] })).count).toBe(6)
  })

  it('fileParallelism: false → 1, whatever maxWorkers and watch say', () => {
    expect(planVitest(facts({ fileParallelism: false, files: 10, maxWorkers: 4 })).count).toBe(1)
    expect(planVitest(facts({ fileParallelism: false, watch: true, files: 10, projects: [project({ specCount: 10, maxWorkers: 6 })] })).count).toBe(1)
  })

  it('treats Vitest 5 like Vitest 4', () => {
    const f = { ...facts({ files: 2, maxWorkers: 4 }) }
    expect(planVitest({ ...f, major: 5 }).count).toBe(planVitest(f).count)
    expect(planVitest({ ...f, major: 5 }).reason).toContain('vitest 5')
  })
})

describe('vitest3MixedPools', () => {
  const two = (a: string, b: string, specB = 1): VitestProjectFacts[] =>
    [project({ pool: a, specCount: 1 }), project({ name: 'b', pool: b, specCount: specB })]

  it('reports pool types that run side by side on Vitest 3', () => {
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'threads') })).sort()).toEqual(['forks', 'threads'])
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'vmThreads') })).sort()).toEqual(['forks', 'vmThreads'])
  })

  it('is empty for a single pool type', () => {
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'forks') }))).toEqual([])
  })

  it('ignores non-worker pools and projects without specs', () => {
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'browser') }))).toEqual([])
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'typescript') }))).toEqual([])
    expect(vitest3MixedPools(facts({ major: 3, projects: two('forks', 'threads', 0) }))).toEqual([])
  })

  it('is empty on Vitest 4+ (one pool for all projects)', () => {
    expect(vitest3MixedPools(facts({ major: 4, projects: two('forks', 'threads') }))).toEqual([])
    expect(vitest3MixedPools(facts({ major: 5, projects: two('forks', 'threads') }))).toEqual([])
  })
})

describe('plan.reason: the inputs in one human line', () => {
  it('names the version, pool, maxWorkers and file count (Vitest 4)', () => {
    const r = planVitest(facts({ files: 6, maxWorkers: 4 })).reason
    expect(r).toContain('vitest 4')
    expect(r).toContain('pool forks')
    expect(r).toContain('maxWorkers 4')
    expect(r).toContain('6 test files')
    expect(r).not.toContain('watch')
  })

  it('names the effective maxWorkers, not the root value', () => {
    const r = planVitest(facts({ maxWorkers: 2, projects: [project({ pool: 'threads', specCount: 9, maxWorkers: 6 })] })).reason
    expect(r).toContain('maxWorkers 6')
    expect(r).toContain('pool threads')
    expect(r).toContain('9 test files')
  })

  it('says "watch" in watch mode, and uses the singular for one file', () => {
    const r = planVitest(facts({ watch: true, files: 1, maxWorkers: 3 })).reason
    expect(r).toContain('watch')
    expect(r).toMatch(/\b1 test file\b(?!s)/)
  })

  it('names the version, pool, pool size and file count (Vitest 3)', () => {
    const r = planVitest(facts({ major: 3, files: 2, maxWorkers: 4 })).reason
    expect(r).toContain('vitest 3')
    expect(r).toContain('pool forks')
    expect(r).toMatch(/max\w* 4\b/)
    expect(r).toContain('2 test files')
  })

  it('names each pool and its size when Vitest 3 pools are mixed', () => {
    const r = planVitest(facts({
      major: 3, maxWorkers: 2, poolOptions: { threads: { maxThreads: 5 } },
      projects: [project({ pool: 'forks', specCount: 1 }), project({ name: 'b', pool: 'threads', specCount: 2 })],
    })).reason
    expect(r).toContain('forks 2')
    expect(r).toContain('threads 5')
    expect(r).toContain('3 test files')
  })
})

describe('the one law: never fewer clones than worker ids that can run (seeded random facts)', () => {
  const POOLS = ['forks', 'threads', 'vmForks', 'vmThreads', 'typescript', 'browser']
  const WORKER_POOLS = new Set(['forks', 'threads', 'vmForks', 'vmThreads'])

  function randomFacts(r: () => number): VitestFacts {
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]
    const maybe = (p: number, n: () => number) => (r() < p ? n() : undefined)
    const small = () => 1 + Math.floor(r() * 12)
    const poolOptions: Record<string, VitestPoolOptions> = {}
    for (const pool of POOLS.slice(0, 4)) {
      if (r() < 0.5) poolOptions[pool] = { maxForks: maybe(0.4, small), maxThreads: maybe(0.4, small), singleFork: r() < 0.1, singleThread: r() < 0.1 }
    }
    const projects = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => ({
      name: `p${i}`,
      pool: r() < 0.7 ? pick(POOLS.slice(0, 2)) : pick(POOLS),
      maxWorkers: maybe(0.3, small),
      specCount: r() < 0.2 ? 0 : Math.floor(r() * 30),
    }))
    return {
      major: pick([3, 4, 5]),
      watch: r() < 0.3,
      cpus: 1 + Math.floor(r() * 32),
      fileParallelism: r() < 0.85,
      maxWorkers: maybe(0.6, small),
      poolOptions,
      projects,
    }
  }

  /** How many workers a pool can hold at once, read independently from the rules in DESIGN.md. */
  function v3PoolSize(f: VitestFacts, pool: string): number {
    if (!f.fileParallelism) return 1
    const o = f.poolOptions?.[pool] ?? {}
    const forks = pool === 'forks' || pool === 'vmForks'
    if (forks && o.singleFork) return 1
    if (!forks && o.singleThread) return 1
    const own = forks ? o.maxForks : o.maxThreads
    if (own && own >= 1) return own
    if (f.maxWorkers && f.maxWorkers >= 1) return f.maxWorkers
    return f.watch ? Math.max(1, Math.floor(f.cpus / 2)) : Math.max(1, f.cpus - 1)
  }

  function v4M(f: VitestFacts, p: VitestProjectFacts): number {
    if (!f.fileParallelism) return 1
    const m = p.maxWorkers || f.maxWorkers
    if (m && m >= 1) return m
    return f.watch ? Math.max(1, Math.floor(f.cpus / 2)) : Math.max(1, f.cpus - 1)
  }

  it('holds for 500 random configurations', () => {
    const r = rng(20240607)
    let checkedV3 = 0
    let checkedV4 = 0
    for (let i = 0; i < 500; i++) {
      const f = randomFacts(r)
      const plan = planVitest(f)
      const active = f.projects.filter((p) => p.specCount > 0 && WORKER_POOLS.has(p.pool))
      const files = active.reduce((n, p) => n + p.specCount, 0)
      const ctx = JSON.stringify(f)
      if (active.length === 0) {
        expect(plan.count, ctx).toBe(0)
        continue
      }
      expect(Number.isInteger(plan.count), ctx).toBe(true)
      if (f.major <= 3) {
        // Every id 1..size of every pool in use may ask for a clone, whatever the file count.
        const need = Math.max(...active.map((p) => v3PoolSize(f, p.pool)))
        expect(plan.count, ctx).toBeGreaterThanOrEqual(need)
        checkedV3++
      } else {
        const m = Math.max(...active.map((p) => v4M(f, p)))
        expect(plan.count, ctx).toBeGreaterThanOrEqual(Math.min(files, m))
        if (f.watch) expect(plan.count, ctx).toBeGreaterThanOrEqual(m)
        // …and no more than can ever be in flight.
        expect(plan.count, ctx).toBeLessThanOrEqual(m)
        checkedV4++
      }
      expect(plan.count, ctx).toBeGreaterThanOrEqual(1)
    }
    // The generator really exercised both branches.
    expect(checkedV3).toBeGreaterThan(50)
    expect(checkedV4).toBeGreaterThan(50)
  })
})
