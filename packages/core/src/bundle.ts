/**
 * A user's module that Node cannot load as it is (TypeScript, ESM syntax in a CommonJS `.js`, a config
 * importing a `.ts` module, decorated TypeORM entities): bundled by esbuild into one ES module, as Vite loads
 * `vite.config.ts`. Project files it imports are bundled in (tsconfig `paths` honoured); packages stay
 * imports, resolved from the module's folder. esbuild's long-lived service makes this ~50 ms in a fresh
 * process, where a JavaScript transpiler loaded for one file costs several times that.
 *
 * The bundle is written next to the module (so that its imports resolve as the module's do), imported, and
 * removed. A run killed in between leaves it behind: the next load there removes every such file whose
 * writer is not running.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import { WorkerDbError } from './errors.js'
import { isPidAlive } from './runfile/liveness.js'

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

export interface BundleOptions {
  /**
   * Compile files that use decorators with the project's TypeScript, `experimentalDecorators` and
   * `emitDecoratorMetadata` on, as `tsc` and ts-jest do: TypeORM reads column types from that metadata,
   * which esbuild does not emit.
   */
  decoratorMetadata?: boolean
}

export interface Bundle {
  /** The module that was bundled: the bundle is written next to it. */
  file: string
  code: string
  /** The project files bundled in (absolute paths): what the module's behaviour depends on. */
  inputs: string[]
}

/** One ES module from `file` and the project files it imports; `require`, `__dirname`, `import.meta.url` keep their meaning in each. */
export async function bundle(file: string, opts: BundleOptions = {}): Promise<Bundle> {
  // required, not imported: Node's ESM import of esbuild's CommonJS entry scans it for exports (~30 ms).
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild')
  // Loaded on the first decorated file only (~0.4 s): a module without decorators does not need it.
  let typescript: TypeScript | undefined
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    metafile: true,
    // Bundling renames colliding names; classes keep their own (TypeORM finds entities by class name).
    keepNames: true,
    logLevel: 'silent',
    define: {
      'import.meta.url': FILE_VALUES.url,
      'import.meta.filename': FILE_VALUES.filename,
      'import.meta.dirname': FILE_VALUES.dirname,
      __filename: FILE_VALUES.filename,
      __dirname: FILE_VALUES.dirname,
    },
    // esbuild's `require` shim uses a `require` in scope: a CommonJS-style module keeps working.
    banner: { js: `import { createRequire as __workerdbCreateRequire } from 'node:module'; const require = __workerdbCreateRequire(${JSON.stringify(pathToFileURL(file).href)});` },
    plugins: [{
      name: 'workerdb-file-values',
      setup(build) {
        build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
          const values = `const ${FILE_VALUES.url} = ${JSON.stringify(pathToFileURL(args.path).href)}; ` +
            `const ${FILE_VALUES.filename} = ${JSON.stringify(args.path)}; const ${FILE_VALUES.dirname} = ${JSON.stringify(dirname(args.path))};`
          const ext = /\.([cm]?)([jt]s)(x?)$/.exec(args.path)!
          let contents = readFileSync(args.path, 'utf8')
          let loader = `${ext[2]}${ext[3]}` as 'js' | 'ts' | 'jsx' | 'tsx'
          if (opts.decoratorMetadata && loader.startsWith('ts') && /^\s*@\w/m.test(contents)) {
            typescript ??= projectTypeScript(args.path)
            contents = typescript.transpileModule(contents, { fileName: args.path, compilerOptions: DECORATOR_COMPILER_OPTIONS }).outputText
            loader = 'js'
          }
          return { contents: `${values}${contents}`, loader }
        })
      },
    }],
  })
  const root = process.cwd()
  const inputs = Object.keys(result.metafile!.inputs).map((input) => resolvePath(root, input))
  return { file, code: result.outputFiles[0]!.text, inputs }
}

/** The bundle's exports: it is written next to its module, imported, and removed. */
export async function importBundle(bundled: Bundle): Promise<Record<string, unknown>> {
  removeLeftoverBundles(bundled.file)
  const path = join(dirname(bundled.file), bundleFileName(bundled.file))
  writeFileSync(path, bundled.code)
  try {
    return await import(pathToFileURL(path).href) as Record<string, unknown>
  } finally {
    rmSync(path, { force: true })
  }
}

/** `file`'s exports, through a bundle. */
export async function importBundled(file: string, opts: BundleOptions = {}): Promise<Record<string, unknown>> {
  return importBundle(await bundle(file, opts))
}

/** ES2022 keeps class fields as TypeScript's own `useDefineForClassFields: false` output expects them for decorators. */
const DECORATOR_COMPILER_OPTIONS = { experimentalDecorators: true, emitDecoratorMetadata: true, target: 9 /* ES2022 */, module: 99 /* ESNext */, useDefineForClassFields: false, sourceMap: false, inlineSourceMap: false }

interface TypeScript {
  transpileModule(text: string, opts: { fileName: string; compilerOptions: object }): { outputText: string }
}

function projectTypeScript(file: string): TypeScript {
  try {
    return createRequire(file)('typescript') as TypeScript
  } catch (err) {
    throw new WorkerDbError('E_CONFIG', `${basename(file)} uses decorators, whose metadata only TypeScript emits, and typescript is not installed there`,
      'Install it where the file is: npm i -D typescript', { cause: err })
  }
}
