import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { startEmbedded } from '../src/server/embedded.js'
import { findEmbeddedBinaries } from '../src/server/embedded/binaries.js'
import type { ServerHandle } from '../src/server/types.js'
import type { Logger } from '../src/log.js'

const TIMEOUT = 60_000

function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (l) => lines.push(`info ${l}`),
    warn: (l) => lines.push(`warn ${l}`),
    progress: () => {},
  }
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

function portOf(url: string): number {
  return Number(new URL(url).port)
}

/** Resolves true if something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port })
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

describe('embedded PostgreSQL', () => {
  const started: ServerHandle[] = []
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()))
  }, TIMEOUT)

  it('finds the binaries of the installed platform package', () => {
    const bins = findEmbeddedBinaries()
    expect(fs.existsSync(bins.binDir)).toBe(true)
    expect(bins.version).toMatch(/^17\./)
  })

  it(
    'starts a fast, throwaway server and removes it on stop',
    async () => {
      const log = captureLog()
      const server = await startEmbedded({}, log)
      started.push(server)
      expect(server.kind).toBe('embedded')
      expect(server.adminUrl).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
      const port = portOf(server.adminUrl)
      expect(server.describe).toBe(`embedded PostgreSQL 17.10 on 127.0.0.1:${port}`)
      // This machine (Linux, a 24 GB /dev/shm) qualifies for the RAM disk.
      const summary = new RegExp(`^info embedded PostgreSQL 17 on 127\\.0\\.0\\.1:${port} \\(ready in [\\d.]+ m?s, data in memory: /dev/shm\\)$`)
      expect(log.lines).toEqual([expect.stringMatching(summary)])

      const dataDir = await withClient(server.adminUrl, async (c) => {
        expect((await c.query('select version()')).rows[0].version).toContain('PostgreSQL 17')
        expect((await c.query('show fsync')).rows[0].fsync).toBe('off')
        expect((await c.query('show max_connections')).rows[0].max_connections).toBe('200')
        expect((await c.query('show wal_level')).rows[0].wal_level).toBe('minimal')
        await c.query('create table t (id int primary key, name text)')
        await c.query(`insert into t values (1, 'one'), (2, 'two')`)
        expect((await c.query('select count(*)::int as n from t')).rows[0].n).toBe(2)
        return (await c.query('show data_directory')).rows[0].data_directory as string
      })
      expect(fs.existsSync(dataDir)).toBe(true)
      expect(dataDir.startsWith('/dev/shm/workerdb-embedded-')).toBe(true)

      // An open client must not hold up the (fast) shutdown.
      const lingering = new pg.Client({ connectionString: server.adminUrl })
      lingering.on('error', () => {})
      await lingering.connect()

      await server.stop()
      await server.stop() // idempotent
      expect(await accepts(port)).toBe(false)
      expect(fs.existsSync(dataDir)).toBe(false)
      await lingering.end().catch(() => {})
    },
    TIMEOUT,
  )

  it(
    'runs two servers at the same time on different ports',
    async () => {
      const [a, b] = await Promise.all([startEmbedded({}, captureLog()), startEmbedded({}, captureLog())])
      started.push(a!, b!)
      expect(portOf(a!.adminUrl)).not.toBe(portOf(b!.adminUrl))
      await withClient(a!.adminUrl, (c) => c.query('create table only_in_a (x int)'))
      const inB = await withClient(b!.adminUrl, async (c) => {
        return (await c.query(`select to_regclass('only_in_a') as r`)).rows[0].r
      })
      expect(inB).toBeNull()
      await Promise.all([a!.stop(), b!.stop()])
      expect(await accepts(portOf(a!.adminUrl))).toBe(false)
      expect(await accepts(portOf(b!.adminUrl))).toBe(false)
    },
    TIMEOUT,
  )

  it(
    'requires the password when one is set, and honours user, settings and memory: false',
    async () => {
      const server = await startEmbedded(
        { user: 'admin', password: 's3cret:@/', settings: { work_mem: '8MB' }, memory: false },
        captureLog(),
      )
      started.push(server)
      try {
        expect(server.describe).not.toContain('s3cret')
        const url = new URL(server.adminUrl)
        expect(decodeURIComponent(url.username)).toBe('admin')
        expect(decodeURIComponent(url.password)).toBe('s3cret:@/')
        await withClient(server.adminUrl, async (c) => {
          expect((await c.query('select current_user as u')).rows[0].u).toBe('admin')
          expect((await c.query('show work_mem')).rows[0].work_mem).toBe('8MB')
          expect((await c.query('show data_directory')).rows[0].data_directory).toMatch(new RegExp(`^${os.tmpdir()}/workerdb-embedded-`))
        })
        url.password = 'wrong'
        await expect(withClient(url.toString(), (c) => c.query('select 1'))).rejects.toThrow(/password/)
      } finally {
        await server.stop()
      }
    },
    TIMEOUT,
  )
})
