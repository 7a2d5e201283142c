/**
 * Prisma's schema engine as a Wasm module (@prisma/schema-engine-wasm), ready to use: the package's entry
 * imports the .wasm as an ES module, which Node 20 cannot, so it is instantiated here by hand, once.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as wasmBindings from '@prisma/schema-engine-wasm/schema_engine_bg'

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
