/**
 * The CLI and per-worker roles: `workerdb status` lists them (with their clone, run and whether that run is
 * alive), `sweep` drops a dead run's marked role once its clone is gone and never an unmarked look-alike,
 * `teardown <run>` drops a provision run's roles with its clones; `--json` carries all of it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { main } from '../src/cli.js'
import { makeMarker } from '../src/catalog/marker.js'
import { cloneName, quoteIdent, quoteLiteral, roleName } from '../src/catalog/names.js'
import { dropPrefix, testUrl, uniquePrefix, withClient } from './helpers.js'

const prefix = uniquePrefix('clr')
let cwd: string
const saved = { url: process.env.WORKERDB_URL, manifest: process.env.WORKERDB_MANIFEST }

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  return Number(r.stdout)
}

const pid = deadPid()
const deadRole = roleName(cloneName(prefix, 'deadrun1', 1), 'app')
const liveClone = cloneName(prefix, 'liverun1', 1)
const liveRole = roleName(liveClone, 'app')
const lookalike = roleName(cloneName(prefix, 'deadrun1', 2), 'app')

async function rolesWithPrefix(): Promise<string[]> {
  return withClient(testUrl(), async (c) => (await c.query('select rolname from pg_roles where starts_with(rolname, $1) order by 1', [`${prefix}_`])).rows.map((r) => r.rolname))
}

async function createRole(name: string, marker: object | null) {
  await withClient(testUrl(), async (c) => {
    await c.query(`create role ${quoteIdent(name)} login`)
    if (marker) await c.query(`comment on role ${quoteIdent(name)} is ${quoteLiteral(JSON.stringify(marker))}`)
  })
}

beforeAll(async () => {
  delete process.env.WORKERDB_URL
  cwd = mkdtempSync(join(tmpdir(), 'workerdb-cli-roles-'))
  writeFileSync(join(cwd, 'workerdb.config.json'), JSON.stringify({ prefix, server: { url: testUrl() }, roles: ['app'], silent: true }))
  await withClient(testUrl(), async (c) => {
    await c.query(`create database ${quoteIdent(liveClone)}`)
    await c.query(`comment on database ${quoteIdent(liveClone)} is ${quoteLiteral(JSON.stringify(makeMarker({ kind: 'clone', run: 'liverun1' })))}`)
  })
  // The dead run's clone is gone already (its run was killed after dropping it, before its role).
  await createRole(deadRole, makeMarker({ kind: 'role', run: 'deadrun1', pid }))
  await createRole(liveRole, makeMarker({ kind: 'role', run: 'liverun1' }))
  await createRole(lookalike, null)
})

afterAll(async () => {
  try {
    await dropPrefix(prefix)
    await withClient(testUrl(), async (c) => {
      for (const r of await rolesWithPrefix()) await c.query(`drop role if exists ${quoteIdent(r)}`)
    })
  } finally {
    rmSync(cwd, { recursive: true, force: true })
    if (saved.url !== undefined) process.env.WORKERDB_URL = saved.url
    if (saved.manifest === undefined) delete process.env.WORKERDB_MANIFEST
    else process.env.WORKERDB_MANIFEST = saved.manifest
  }
})

describe('workerdb status', () => {
  test('lists per-worker roles with their clone, run and process, and marks unmarked look-alikes as untouchable', async () => {
    const { code, text } = await main(['status'], cwd)
    expect(code).toBe(0)
    expect(text).toMatch(/roles \(3\)/)
    expect(text).toMatch(new RegExp(`${deadRole}\\s+${prefix}_deadrun1_1 \\(gone\\)\\s+deadrun1\\s+\\S+:${pid} dead \\(sweepable\\)`))
    expect(text).toMatch(new RegExp(`${liveRole}\\s+${liveClone}\\s+liverun1\\s+\\S+:${process.pid} alive`))
    expect(text).toMatch(new RegExp(`${lookalike}.*never touched`))
  })

  test('--json carries the roles', async () => {
    const data = JSON.parse((await main(['status', '--json'], cwd)).text)
    const byName = Object.fromEntries(data.roles.map((r: { name: string }) => [r.name, r]))
    expect(byName[deadRole]).toMatchObject({ clone: `${prefix}_deadrun1_1`, cloneExists: false, run: 'deadrun1', alive: false })
    expect(byName[liveRole]).toMatchObject({ clone: liveClone, cloneExists: true, run: 'liverun1', alive: true })
    expect(byName[lookalike]).toMatchObject({ run: null })
  })
})

describe('workerdb sweep', () => {
  test('--dry-run names the dead run\'s role and drops nothing', async () => {
    const { code, text } = await main(['sweep', '--dry-run'], cwd)
    expect(code).toBe(0)
    expect(text).toContain('would drop 1 role:')
    expect(text).toContain(deadRole)
    expect(await rolesWithPrefix()).toContain(deadRole)
    const data = JSON.parse((await main(['sweep', '--dry-run', '--json'], cwd)).text)
    expect(data.roles.map((r: { name: string }) => r.name)).toEqual([deadRole])
    expect(data.databases).toEqual([])
  })

  test('drops only the dead run\'s marked role: the live run\'s role and the unmarked look-alike stay', async () => {
    const { code, text } = await main(['sweep'], cwd)
    expect(code).toBe(0)
    expect(text).toContain('dropped 1 role:')
    expect(await rolesWithPrefix()).toEqual([liveRole, lookalike].sort())
  })
})

describe('workerdb doctor', () => {
  test('with `roles`, checks that the admin role can create them and that every memberOf role exists', async () => {
    const ok = await main(['doctor', '--json'], cwd)
    const roles = JSON.parse(ok.text).checks.find((c: { check: string }) => c.check === 'roles')
    expect(roles, ok.text).toMatchObject({ ok: true })
    const other = mkdtempSync(join(tmpdir(), 'workerdb-cli-roles-missing-'))
    try {
      writeFileSync(join(other, 'workerdb.config.json'), JSON.stringify({ prefix, server: { url: testUrl() }, roles: { app: { memberOf: [`${prefix}_nobody`] } } }))
      const bad = await main(['doctor'], other)
      expect(bad.code).toBe(1)
      expect(bad.text).toMatch(new RegExp(`✗ roles: .*"${prefix}_nobody".*does not exist`))
      expect(bad.text).toMatch(/→ Create it once per server/)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })
})

describe('workerdb provision / teardown', () => {
  test('provision makes each clone its role and says so; teardown <run> drops the clones and their roles', async () => {
    const provisioned = await main(['provision', '--workers', '2', '--json'], cwd)
    expect(provisioned.code, provisioned.text).toBe(0)
    const data = JSON.parse(provisioned.text)
    let down: { code: number; text: string } | undefined
    try {
      expect(data.clones.map((c: { roles: Record<string, string> }) => c.roles)).toEqual([
        { app: roleName(cloneName(prefix, data.runId, 1), 'app') }, { app: roleName(cloneName(prefix, data.runId, 2), 'app') },
      ])
      expect(provisioned.text).not.toMatch(/:[0-9a-f]{32}@/)
      const runRoles = (await rolesWithPrefix()).filter((r) => r.startsWith(`${prefix}_${data.runId}_`))
      expect(runRoles).toHaveLength(2)
      down = await main(['teardown', data.runId], cwd)
    } finally {
      // The run's manifest file goes with it, even when an assertion above failed.
      if (!down) await main(['teardown', data.runId], cwd).catch(() => {})
    }
    const { code, text } = down
    expect(code, text).toBe(0)
    expect(text).toMatch(new RegExp(`dropped 2 clones and 2 roles of run ${data.runId}`))
    expect((await rolesWithPrefix()).filter((r) => r.startsWith(`${prefix}_${data.runId}_`))).toEqual([])
  })
})
