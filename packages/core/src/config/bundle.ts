/**
 * Configs Node cannot load as they are (TypeScript, ESM syntax in a CommonJS `.js`, a config importing a
 * `.ts` module): bundled by esbuild into one ES module, as Vite loads `vite.config.ts`. Project files the
 * config imports are bundled in (tsconfig `paths` honoured); packages stay imports, resolved from the
 * config's folder. esbuild's long-lived service makes this ~50 ms in a fresh process, where a JavaScript
 * transpiler loaded for one file costs several times that.
 *
 * The module is written next to the config (so that its imports resolve as the config's do), imported, and
 * removed. A run killed in between leaves it behind: the next load removes every such file whose writer
 * is not running.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { isPidAlive } from '../runfile/liveness.js'

/** `<config file>.workerdb-<pid>-<random>.mjs`: the writer's pid tells the next load whether it is left over. */
function bundleFileName(configFile: string): string {
  return `${basename(configFile)}.workerdb-${process.pid}-${randomBytes(4).toString('hex')}.mjs`
}

/** The writer's pid, if `name` is a bundle of `configFile`. */
function parseBundleFileName(configFile: string, name: string): number | undefined {
  const prefix = `${basename(configFile)}.workerdb-`
  if (!name.startsWith(prefix)) return undefined
  const match = /^(\d+)-[0-9a-f]{8}\.mjs$/.exec(name.slice(prefix.length))
  return match ? Number(match[1]) : undefined
}

/** Removes bundles of `configFile` whose writer is gone (killed between writing and removing one). */
function removeLeftoverBundles(configFile: string): void {
  const dir = dirname(configFile)
  for (const name of readdirSync(dir)) {
    const pid = parseBundleFileName(configFile, name)
    if (pid !== undefined && isPidAlive({ host: hostname(), pid }) === false) rmSync(join(dir, name), { force: true })
  }
}

/** Per bundled file, what `import.meta.url`, `__dirname` & co. become: that file's own values, as if unbundled. */
const FILE_VALUES = { url: '__workerdb_import_meta_url', filename: '__workerdb_filename', dirname: '__workerdb_dirname' }

/**
 * The config's module, bundled. `require`, `__dirname`, `__filename` and `import.meta.url` mean in every
 * bundled file what they would in that file unbundled.
 */
export async function importBundled(configFile: string): Promise<Record<string, unknown>> {
  // required, not imported: Node's ESM import of esbuild's CommonJS entry scans it for exports (~30 ms).
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
  const url = pathToFileURL(configFile).href
  const result = await esbuild.build({
    entryPoints: [configFile],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    logLevel: 'silent',
    define: {
      'import.meta.url': FILE_VALUES.url,
      'import.meta.filename': FILE_VALUES.filename,
      'import.meta.dirname': FILE_VALUES.dirname,
      __filename: FILE_VALUES.filename,
      __dirname: FILE_VALUES.dirname,
    },
    // esbuild's `require` shim uses a `require` in scope: a CommonJS-style config keeps working.
    banner: { js: `import { createRequire as __workerdbCreateRequire } from 'node:module'; const require = __workerdbCreateRequire(${JSON.stringify(url)});` },
    plugins: [{
      name: 'workerdb-file-values',
      setup(build) {
        build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
          const { readFile } = await import('node:fs/promises')
          const values = `const ${FILE_VALUES.url} = ${JSON.stringify(pathToFileURL(args.path).href)}; ` +
            `const ${FILE_VALUES.filename} = ${JSON.stringify(args.path)}; const ${FILE_VALUES.dirname} = ${JSON.stringify(dirname(args.path))};`
          const ext = /\.([cm]?)([jt]s)(x?)$/.exec(args.path)!
          return { contents: `${values}${await readFile(args.path, 'utf8')}`, loader: `${ext[2]}${ext[3]}` as 'js' | 'ts' | 'jsx' | 'tsx' }
        })
      },
    }],
  })
  removeLeftoverBundles(configFile)
  const bundled = join(dirname(configFile), bundleFileName(configFile))
  writeFileSync(bundled, result.outputFiles[0]!.text)
  try {
    return await import(pathToFileURL(bundled).href) as Record<string, unknown>
  } finally {
    rmSync(bundled, { force: true })
  }
}
