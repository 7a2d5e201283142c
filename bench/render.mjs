#!/usr/bin/env node
/**
 * Renders docs/performance.md's figures, between `<!-- bench:start -->` and `<!-- bench:end -->`, from
 * the record `pnpm bench` writes (bench/results/latest.json). Never written by hand: every number in the
 * section is in the record, stamped with its date, commit, load, Node version and servers.
 *
 *   node bench/render.mjs [--input bench/results/latest.json] [--readme docs/performance.md] [--check]
 *
 * --check: exit 1 if docs/performance.md is not what the record renders to (nothing is written).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { option, readmeSection } from '../scripts/readme-section.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const section = readmeSection('bench')
export const { START, END } = section

const ms = (x) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`)
/** Sub-millisecond and tens-of-ms figures keep their decimals (the reset row's per-test costs), a few microseconds three. */
const fine = (v) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v < 0.1 ? `${+v.toFixed(3)} ms` : v < 1 ? `${v.toFixed(2)} ms` : v < 100 ? `${+v.toFixed(1)} ms` : ms(v))
const x = (r) => (r === undefined || r === null || Number.isNaN(r) ? '–' : `${r}×`)
/** The work a run handed to the background (drops, spares not yet made), when the record has it. */
const bg = (side) => (side.backgroundMs === undefined ? '' : `; then in the background ${ms(side.backgroundMs)} a run, ${ms(side.backgroundTotalMs)} in all`)
/** A speed-up as a reader says it: "1.4× faster", or "1.47× slower" when workerdb took longer. */
const faster = (r) => (r === undefined || r === null || Number.isNaN(r) ? '–' : r >= 1 ? `${r}× faster` : `${+(1 / r).toFixed(2)}× slower`)
const esc = (s) => String(s).replace(/\|/g, '\\|')
/** The cores busy while copies ran, when the record has them: the server's, the bench's (with its client processes), the rest of the machine's. */
const cpuOf = (c, cores) => {
  if (c?.machineCores === undefined) return ''
  const rest = c.serverCores !== undefined && c.benchCores !== undefined ? Math.max(0, c.machineCores - c.serverCores - c.benchCores) : undefined
  return ` (CPU meanwhile: ${c.machineCores} of ${cores} cores busy${c.serverCores !== undefined ? `, the server ${c.serverCores}` : ''}${c.benchCores !== undefined ? `, the bench and its clients ${c.benchCores}` : ''}${rest !== undefined ? `, other work ${+rest.toFixed(2)}` : ''}; iowait ${c.iowaitPct}%)`
}

/** Each rep's own ratio, when there are several: how far the machine's load moved it. */
const perRep = (xs) => (xs?.length > 1 ? ` (per rep: ${xs.map((r) => `${r}×`).join(', ')})` : '')
const serverCpu = (c) => (c?.serverCpuMsPerClone === undefined ? ''
  : `server CPU ${ms(c.serverCpuMsPerClone)}${c.leftCpuMsPerClone === undefined ? '' : ` + ${ms(c.leftCpuMsPerClone)} in the background after it returned`}, `)

/** How many sessions a MariaDB or MySQL copy put its rows in over, when the record says. */
const sessionsOf = (n) => (n === undefined ? '' : ` (tables made and filled over ${n} session${n === 1 ? '' : 's'})`)

/**
 * The reading of a mysql row's two lines (MariaDB's or MySQL's): the ratio at 4 at once against the goal, and
 * what bounds a clone from below, in the record's figures.
 */
function mysqlFloor(my, product, key, server = {}) {
  const c = my.four.copyCpu ?? {}
  const why = product === 'MariaDB'
    ? 'MariaDB syncs its DDL log, the `.frm` and the new `.ibd` at each `CREATE TABLE`, and an `.ibd` twice for each page a table under 64 pages grows by. '
    : ''
  // "The same" only when the counts are within 5 % of each other.
  const same = my.one.dumpFsyncs !== undefined && Math.abs(my.one.copyFsyncs - my.one.dumpFsyncs) <= 0.05 * Math.max(my.one.copyFsyncs, my.one.dumpFsyncs)
  const syncs = server.memory
    ? `This is the server workerdb starts itself: its data dir is in memory, so the syncs both ways make (${my.one.copyFsyncs} InnoDB fsyncs for workerdb's clone, ${my.one.dumpFsyncs ?? '–'} for the dump's) wait for no disk. `
    : my.durable
      ? `Both ways pay ${same ? 'the same' : 'about as many'} syncs to disk (${my.one.copyFsyncs} InnoDB fsyncs for workerdb's clone, ${my.one.dumpFsyncs ?? '–'} for the dump's, server-wide counts)${why ? `: ${why}` : '. '}`
      : '(This server does not wait for the disk at each commit: innodb_flush_log_at_trx_commit is not 1.) '
  const saved = product === 'MariaDB' ? 'no text to print and parse, and each table made with its rows in one `CREATE TABLE … SELECT`' : 'no text to print and parse'
  const cpu = my.one.copyCpu?.serverCpuMsPerClone !== undefined && my.one.dumpCpu?.serverCpuMsPerClone !== undefined
    ? `What workerdb saves is the server's CPU: ${ms(my.one.copyCpu.serverCpuMsPerClone)} per clone against ${ms(my.one.dumpCpu.serverCpuMsPerClone)} (${saved}). `
    : ''
  // MySQL's inserts, profiled with perf: each row goes into its B-trees one at a time, the dump's rows as the copy's.
  const rows = product === 'MySQL'
    ? 'MySQL puts each row into each of its indexes one at a time both ways (it has no bulk load into an empty table, which MariaDB has with the checks off), so the rows\' CPU, which both pay, is the floor: workerdb saves only the text. '
    : ''
  const rest = c.serverCores !== undefined && c.benchCores !== undefined ? Math.max(0, c.machineCores - c.serverCores - c.benchCores) : undefined
  const busy = c.machineCores === undefined ? ''
    : `, with ${c.machineCores} of ${my.cores} cores busy${rest === undefined ? '' : ` (${+rest.toFixed(2)} of them other work on the machine)`} and iowait ${c.iowaitPct}%`
  const bound = my.four.cpuFloorMs === undefined ? ''
    : `workerdb's 4 copies cost the server ${ms(c.serverCpuMsPerClone * 4)} of CPU, so even with all ${my.cores} cores to themselves they could not take less than ${ms(my.four.cpuFloorMs)}; ` +
      `they took ${ms(my.four.copyMs)}${busy}${my.cpuBound === undefined ? '' : my.cpuBound ? `: CPU-bound on this ${my.cores}-core machine` : ': not every core was busy, so the rest is waiting for those syncs'}. `
  const below = server.memory ? '' : 'Going below the syncs takes transportable tablespaces ' +
    '(`FLUSH TABLES … FOR EXPORT`, copying the `.ibd` files, `ALTER TABLE … IMPORT TABLESPACE`), which need the server\'s datadir: a server reached by URL does not give it.'
  return `${product} (the two rows on **${key}**): workerdb's clone is ${faster(my.four.ratio)} than \`mysqldump | mysql\` with 4 at once (the goal: ≥ ${my.goal}×, ${my.goalMet ? 'met' : 'not met'}) and ${faster(my.one.ratio)} one alone. ` +
    (syncs + cpu + rows + bound + below).trimEnd()
}

/** Pure: a bench record → the markdown between the markers. */
export function renderPerformance(rec) {
  const lines = ['_Generated by `node bench/render.mjs` from `bench/results/latest.json`, which `pnpm bench` writes row by row. Do not edit by hand._', '']
  if (!rec || !rec.servers) {
    lines.push('_No bench record yet: run `pnpm bench`._')
    return lines.join('\n')
  }
  const serverKeys = Object.keys(rec.servers)
  const load = `${(rec.load?.start ?? []).join(' ')} → ${(rec.load?.end ?? ['?']).join(' ')}`
  const kind = rec.full && rec.status === 'complete' ? 'a full run' : `**a ${rec.status === 'complete' ? 'partial' : rec.status} run** (rows: ${(rec.rowsAsked ?? []).join(', ')}) — not a full \`pnpm bench\``
  lines.push(`Run of ${String(rec.startedAt ?? '?').replace('T', ' ').slice(0, 16)} UTC, ${kind}: commit \`${rec.commit ?? '?'}\`${rec.dirty ? ' (with uncommitted changes)' : ''}, Node ${rec.node ?? '?'}, ${rec.cores ?? '?'} cores, load average (1, 5, 15 min) ${load}, ${rec.durationS ?? '?'} s, median of ${rec.reps ?? '?'}, status ${rec.status}.`)
  for (const update of rec.updates ?? []) {
    lines.push('')
    lines.push(`Re-measured by a later run (\`pnpm bench --only ${update.rowsAsked.join(',')} --update\`) of ${String(update.startedAt).replace('T', ' ').slice(0, 16)} UTC: ${update.rows.join(', ')}, at commit \`${update.commit}\`${update.dirty ? ' (with uncommitted changes)' : ''}, Node ${update.node}, load average ${(update.load?.start ?? []).join(' ')} → ${(update.load?.end ?? ['?']).join(' ')}, status ${update.status}.`)
  }
  lines.push('')
  lines.push('Servers:')
  for (const k of serverKeys) lines.push(`- **${k}**: ${rec.servers[k].label}${rec.servers[k].synchronousCommit ? ` (synchronous_commit ${rec.servers[k].synchronousCommit}, full_page_writes ${rec.servers[k].fullPageWrites})` : ''}`)
  if (rec.rows?.zeroconfig) lines.push('- **own-embedded**: the embedded server a zero-config `vitest run` starts, fills and stops itself (fresh each run, so its template is built every run)')
  lines.push('')
  lines.push(`Work: the PostgreSQL rows' schema is ${rec.work?.schema ?? '?'}; the suite is ${rec.work?.suite?.files ?? '?'} test files of ${rec.work?.suite?.transactionsPerFile ?? '?'} transactions × ${rec.work?.suite?.queriesPerTransaction ?? '?'} queries each (${rec.work?.suite?.queries ?? '?'} queries per run, the same in every contender).`)
  lines.push('')
  const rows = rec.rows ?? {}
  const table = ['| measure | server | workerdb | baseline | ratio |', '|---|---|---|---|---|']
  const add = (...cells) => table.push(`| ${cells.map(esc).join(' | ')} |`)
  // The server column, with the reps a row took when its time share cut it short.
  const sv = (row, k, d = rows[row]?.[k]?.repsDone) => (d !== undefined && d < rec.reps ? `${k} (${d} of ${rec.reps} reps)` : k)
  for (const k of serverKeys) {
    const s = rows.strategy?.[k]
    if (!s) continue
    add(`clone strategy, per clone (4 at once, create + drop; ${s.templateMb} MB template)`, sv('strategy', k),
      `WAL_LOG ${ms(s.WAL_LOG.perCloneMs)} (${ms(s.WAL_LOG.createFourMs)} + ${ms(s.WAL_LOG.dropFourMs)} for 4)`,
      `FILE_COPY ${ms(s.FILE_COPY.perCloneMs)} (${ms(s.FILE_COPY.createFourMs)} + ${ms(s.FILE_COPY.dropFourMs)} for 4); one alone: WAL_LOG ${ms(s.WAL_LOG.createOneMs)} + ${ms(s.WAL_LOG.dropOneMs)}, FILE_COPY ${ms(s.FILE_COPY.createOneMs)} + ${ms(s.FILE_COPY.dropOneMs)}; a bare CHECKPOINT ${ms(s.checkpointMs)}`,
      `faster: ${s.fasterPerClone}`)
  }
  const cf = rows.config?.none
  if (cf) {
    add('loading workerdb.config.* in a fresh process, per form', sv('config', 'none').replace('none', 'no server'),
      Object.entries(cf.loadMs).map(([form, v]) => `${form} ${ms(v)}`).join('; '), '', `slowest: ${cf.slowest[0]}`)
  }
  const f = rows.fsync?.['embedded-disk']
  if (f) {
    add('durability: the template\'s migration, and per clone (4 at once, create + drop, the faster strategy)', sv('fsync', 'embedded-disk').replace('embedded-disk', 'embedded, data on disk'),
      `fsync, full_page_writes, synchronous_commit on: migration ${ms(f.on.migrateMs)}, ${ms(f.on.perCloneMs)} per clone (${f.on.fasterStrategy})`,
      `all three off: migration ${ms(f.off.migrateMs)}, ${ms(f.off.perCloneMs)} per clone${f.ram ? `; off, data on the RAM disk: migration ${ms(f.ram.migrateMs)}, ${ms(f.ram.perCloneMs)} per clone` : ''}`,
      `off: clones ${faster(f.perCloneRatio)}, migration ${faster(f.migrateRatio)}${f.ram ? `; off on the RAM disk: clones ${faster(f.ramPerCloneRatio)}, migration ${faster(f.ramMigrateRatio)}` : ''}`)
  }
  for (const k of serverKeys) {
    for (const [n, c] of Object.entries(rows.cold?.[k]?.byN ?? {})) {
      add(`cold, N=${n}: template + ${n} clones (raw SQL migrations)`, sv('cold', k, c.reps), `${ms(c.workerdbMs)} (${c.workerdbStrategy}); teardown ${ms(c.workerdbEndMs)}${c.workerdbOtherStrategy ? `; forced to ${c.workerdbOtherStrategy.strategy}: ${ms(c.workerdbOtherStrategy.ms)}, teardown ${ms(c.workerdbOtherStrategy.endMs)}` : ''}`,
        `floor: raw migration + ${n} raw clones, ${c.floorStrategy} (the faster here; WAL_LOG ${ms(c.floorByStrategy.WAL_LOG.ms)}, FILE_COPY ${ms(c.floorByStrategy.FILE_COPY.ms)}) ${ms(c.floorMs)}`,
        `${x(c.ratioToFloor)} of floor`)
    }
  }
  for (const k of serverKeys) {
    for (const [n, v] of Object.entries(rows.naive?.[k]?.byN ?? {})) {
      add(`naive, N=${n}: each worker migrates its own database (raw SQL)`, sv("naive", k, v.reps), `cold ${ms(v.sql.workerdbMs)}${v.sql.workerdbFrom === "cold row" ? " (the cold row)" : ""}`, `${ms(v.sql.naiveMs)}`, faster(v.sql.speedup))
      if (v.knex) add(`naive, N=${n}: each worker runs Knex's migrator`, sv('naive', k, v.reps), `cold, migrating with Knex ${ms(v.knex.workerdbMs)}`, `${ms(v.knex.naiveMs)}`, faster(v.knex.speedup))
    }
  }
  for (const k of serverKeys) {
    const w = rows.warm?.[k]
    if (!w) continue
    add(`warm, N=${w.n}, ${w.k} consecutive runs each way: median start + end of a run (what it waits for), total`, k,
      `spares: ${ms(w.withSpares.startMs)} + ${ms(w.withSpares.endMs)}, total ${ms(w.withSpares.totalMs)} (${w.withSpares.fromSpares} of ${w.n} renamed)${bg(w.withSpares)}`,
      `no spares: ${ms(w.withoutSpares.startMs)} + ${ms(w.withoutSpares.endMs)}, total ${ms(w.withoutSpares.totalMs)}${bg(w.withoutSpares)}`,
      `total with spares ${x(+(w.withSpares.totalMs / w.withoutSpares.totalMs).toFixed(2))} of the total without; migrations run: ${w.withSpares.migrationsRun + w.withoutSpares.migrationsRun}`)
  }
  for (const k of serverKeys) {
    const s = rows.suite?.[k]
    if (!s) continue
    add(`suite, 2 workers (template reused)`, sv('suite', k), `${ms(s.workerdbMs)}; with spares ${ms(s.withSparesMs)}`,
      `serial on one database ${ms(s.serialMs)}; 2 workers on hand-made databases (ceiling) ${ms(s.ceilingMs)}`,
      `${x(s.speedup)} (spares ${x(s.speedupWithSpares)}) vs ceiling ${x(s.ceilingSpeedup)}`)
  }
  for (const k of serverKeys) {
    const j = rows.jest?.[k]
    if (!j) continue
    add(`suite under Jest ${j.jest}, 2 workers (template reused)`, sv('jest', k), ms(j.workerdbMs),
      `in band on one database ${ms(j.serialMs)}; 2 workers on hand-made databases (ceiling) ${ms(j.ceilingMs)}`,
      `${x(j.speedup)} vs ceiling ${x(j.ceilingSpeedup)}`)
  }
  for (const k of serverKeys) {
    const r = rows.reset?.[k]
    if (!r) continue
    add(`reset per test (\`per: 'test'\`), per test, ${r.tables} tables`, sv('reset', k),
      `nothing written ${fine(r.noopMs)}; one dirty table (${r.leaf}) ${fine(r.oneTableMs)}${r.transactionMs === undefined ? '' : `; a test transaction instead (BEGIN + ROLLBACK) ${fine(r.transactionMs)}`}`,
      `${r.allLabel ?? `TRUNCATE of all ${r.tables} tables in beforeEach`} ${fine(r.truncateAllMs)}; a fresh connection + the check (the per-file path) ${fine(r.freshCheckMs)}`,
      `clean: ${faster(r.truncateAllVsNoop)}; one table: ${faster(r.truncateAllVsOneTable)}`)
  }
  const z = rows.zeroconfig?.['own-embedded']
  if (z) {
    add('suite, zero-config `vitest run` end to end (server start, initdb, template, clones, tests, teardown, stop)', sv('zeroconfig', 'own-embedded'),
      `${ms(z.ms)} (server ${ms(z.serverMs)}, template ${ms(z.templateMs)}, clones ${ms(z.clonesMs)})`,
      rows.suite?.embedded ? `serial on the bench's embedded server ${ms(rows.suite.embedded.serialMs)}` : '', z.speedupVsEmbeddedSerial ? faster(z.speedupVsEmbeddedSerial) : '')
  }
  const o = rows.overhead?.embedded
  if (o) {
    add(`overhead per test file, no-DB suite (slope ${o.files.join(' → ')} files)`, sv('overhead', 'embedded'), `${o.perFileMs.with} ms`,
      `${o.perFileMs.without} ms without the plugin; ${o.perFileMs.emptySetupFile} ms with an empty setup file`, `${x(o.ratio)} (${x(o.ratioToEmptySetupFile)} of an empty setup file)`)
    add('overhead per run, no-DB suite', 'embedded', ms(o.perRunMs), `${o.files[0]} files: ${x(o.small.ratio)}; ${o.files[1]} files: ${x(o.large.ratio)}`, '')
  }
  const sc = rows.scaling?.embedded
  if (sc) add(`scaling N = ${sc.points.map((p) => p.n).join(', ')}`, sv('scaling', 'embedded'), sc.points.map((p) => ms(p.ms)).join(', '), '', `≈ ${sc.fixedMs} ms + ${sc.perCloneMs} ms per clone (r² ${sc.r2}); peak RSS ${Math.min(...sc.points.map((p) => p.peakRssMb))}–${Math.max(...sc.points.map((p) => p.peakRssMb))} MB`)
  // The mysql row on each server it ran on: MariaDB's (server key mysql), MySQL's (mysql-container), and both
  // as workerdb starts them (own-mariadb, own-mysql).
  // A server the bench started in a container (it has an image) ran the baseline in it too.
  const mysqlRows = Object.entries(rows.mysql ?? {}).map(([key, my]) => ({ key, my, product: rec.servers[key]?.product ?? 'MariaDB', inContainer: Boolean(rec.servers[key]?.image) }))
  for (const { key, my, product, inContainer } of mysqlRows) {
    add(`${product} clone, one alone (${my.work.templateMb} MiB template: ${my.work.schema})`, sv('mysql', key),
      `workerdb copy${sessionsOf(my.work.sessions?.one)} ${ms(my.one.copyMs)} (${serverCpu(my.one.copyCpu)}${my.one.copyFsyncs} InnoDB fsyncs); its drop ${ms(my.one.dropMs)}`,
      my.one.dumpMs === undefined ? `mysqldump \| mysql not measured (${my.baselineSkipped})` : `\`mysqldump --single-transaction --skip-lock-tables --routines --events \| mysql\` into a new database${inContainer ? ', in the container' : ''} ${ms(my.one.dumpMs)} (${serverCpu(my.one.dumpCpu)}${my.one.dumpFsyncs} InnoDB fsyncs)`,
      `${faster(my.one.ratio)}${perRep(my.one.perRep)}`)
    add(`${product} clones, 4 at once (the same template)`, sv('mysql', key),
      `workerdb copy, a lane each${sessionsOf(my.work.sessions?.four)} ${ms(my.four.copyMs)}${cpuOf(my.four.copyCpu, my.cores)}; their drop ${ms(my.four.dropMs)}`,
      my.four.dumpMs === undefined ? '' : `4 such pipelines at once ${ms(my.four.dumpMs)}${cpuOf(my.four.dumpCpu, my.cores)}`,
      my.four.ratio === undefined ? '' : `${faster(my.four.ratio)}${perRep(my.four.perRep)}; the goal: ≥ ${my.goal}× faster, ${my.goalMet ? 'met' : 'not met'}`)
    if (my.spares) {
      add(`${product} clones, 4 taken from spares (\`spares\`: made during the run before)`, sv('mysql', key),
        `workerdb's take: each spare's tables moved into a clone by one RENAME TABLE, its views, routines and triggers made there ${ms(my.spares.takeFourMs)}; the spares were made beforehand, ${ms(my.spares.makeOneMs)} each on one session`,
        my.four.dumpMs === undefined ? '' : `4 pipelines at once, as above, ${ms(my.four.dumpMs)}`,
        my.spares.ratio === undefined ? '' : `${faster(my.spares.ratio)} at the run's start; not the goal's measure (the copy moved to the run before, it did not go)`)
    }
  }
  const sq = rows.sqlite?.sqlite
  if (sq) {
    const other = sq.migrate.best === 'threads' ? `one after another ${ms(sq.migrate.serialMs)}` : `in 4 worker threads ${ms(sq.migrate.threadsMs)}`
    add(`SQLite, 4 clones (${sq.work.templateMb} MiB template file: ${sq.work.schema}; on ${sq.fsType ?? 'an unknown file system'}, ${sq.reflink ? 'copies by reflink' : 'no reflinks: plain copies'})`, sv('sqlite', 'sqlite'),
      `workerdb copy ${fine(sq.workerdbMs)} (template built once in ${ms(sq.work.buildMs)}); their drop ${fine(sq.dropMs)}`,
      `by hand: the migrations into 4 fresh files ${ms(sq.migrate.bestMs)} (${sq.migrate.best === 'threads' ? 'in 4 worker threads' : 'one after another'}, the faster; ${other}); fs.copyFile of a template file kept by hand into 4 files ${fine(sq.copyFileMs)}`,
      `${faster(sq.speedupVsMigrate)} than migrating; ${x(sq.overheadRatio)} the time of fs.copyFile (+${fine(sq.overheadMs)} for 4)`)
  }
  if (table.length > 2) lines.push(...table)
  else lines.push('_The record holds no measured row._')
  for (const { key, my, product } of mysqlRows) if (my.four.ratio !== undefined) lines.push('', mysqlFloor(my, product, key, rec.servers[key]))
  if (rec.skipped?.length) lines.push('', `Skipped: ${rec.skipped.map((s) => `${s.row} on ${s.server} (${s.why})`).join('; ')}.`)
  if (rec.errors?.length) lines.push('', `Failed: ${rec.errors.map((e) => `${e.row} on ${e.server ?? 'all'} (${String(e.message).split('\n')[0].slice(0, 200)})`).join('; ')}.`)
  return lines.join('\n')
}

/** Pure: README text with the section between the markers replaced. */
export const replaceBetweenMarkers = (readme, body) => section.replace(readme, body)

export function readRecord(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined
}

/** Writes the rendered section into the README; true when it changed. */
export function renderToReadme(input, readmePath) {
  return section.write(readmePath, renderPerformance(readRecord(input)))
}

function main(argv) {
  const input = option(argv, '--input', join(root, 'bench', 'results', 'latest.json'))
  const readmePath = option(argv, '--readme', join(root, 'docs', 'performance.md'))
  const where = relative(process.cwd(), readmePath) || readmePath
  if (argv.includes('--check')) {
    if (!section.isCurrent(readmePath, renderPerformance(readRecord(input)))) {
      process.stderr.write(`bench render: ${where} is not up to date with ${relative(process.cwd(), input)}: run node bench/render.mjs\n`)
      process.exit(1)
    }
    return
  }
  const changed = renderToReadme(input, readmePath)
  process.stdout.write(`bench render: ${relative(process.cwd(), input)} → ${where}${changed ? '' : ' (unchanged)'}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`bench render: ${err.message}\n`)
    process.exit(1)
  }
}
