/**
 * Prisma's schema engine as a Wasm module (@prisma/schema-engine-wasm), ready to use: the package's entry
 * imports the .wasm as an ES module, which Node 20 cannot, so it is instantiated here by hand, once. And
 * what the engine is asked with: a migrations folder, and its history diagnosed.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg'

let ready: Promise<typeof wasmBindings> | undefined

export function schemaEngineWasm(): Promise<typeof wasmBindings> {
  ready ??= (async () => {
    const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: unknown }
    g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message(m: string) { console.error(`schema engine panic: ${m}`) } }
    const wasmFile = join(dirname(createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm')
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { './schema_engine_bg.js': wasmBindings })
    wasmBindings.__wbg_set_wasm(instance.exports)
    ;(instance.exports.__wbindgen_start as () => void)()
    return wasmBindings
  })()
  return ready
}

/** The migrations folder `<prismaDir>/migrations` as the Prisma CLI hands it to the engine: these migrations, in order. */
export function migrationsList(prismaDir: string, names: string[]): MigrationList {
  const baseDir = join(prismaDir, 'migrations')
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: readFileSync(join(baseDir, 'migration_lock.toml'), 'utf8') },
    shadowDbInitScript: '',
    migrationDirectories: names.map((name) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: readFileSync(join(baseDir, name, 'migration.sql'), 'utf8') } },
    })),
  }
}

export const NO_FILTERS = { externalTables: [], externalEnums: [] }

/** What `prisma migrate status` asks: the database's history against the folder, without a shadow database. */
export function diagnoseHistory(engine: SchemaEngine, list: MigrationList) {
  return engine.diagnoseMigrationHistory({ migrationsList: list, optInToShadowDatabase: false, filters: NO_FILTERS })
}
