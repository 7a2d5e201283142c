import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { getWorkerDatabase } from '@workerdb/vitest'
import { expect, test } from 'vitest'
import { useClient } from './client.js'

const prisma = useClient()

test("the client's connection is on this run's clone for this worker id", async () => {
  // What the server says Prisma's connection is on, against the worker id Vitest gave this process:
  // a clone is named <prefix>_<run id>_<worker id>.
  const [row] = await prisma.$queryRaw<Array<{ name: string; marker: string }>>`select datname as name, shobj_description(oid, 'pg_database') as marker from pg_database where datname = current_database()`
  const { runId } = getWorkerDatabase()
  expect(row!.name).toMatch(new RegExp(`^[a-z][a-z0-9]*_${runId}_${process.env.VITEST_POOL_ID}$`))
  expect(JSON.parse(row!.marker)).toMatchObject({ tool: 'workerdb', kind: 'clone', run: runId })
})

test('_prisma_migrations records every migration as `prisma migrate deploy` does: finished, one step, its checksum', async () => {
  const rows = await prisma.$queryRaw<Array<{ migration_name: string; checksum: string; finished: boolean; applied_steps_count: number }>>`
    select migration_name, checksum, finished_at is not null as finished, applied_steps_count from _prisma_migrations order by migration_name`
  const checksum = (name: string) => createHash('sha256').update(readFileSync(new URL(`../prisma/migrations/${name}/migration.sql`, import.meta.url))).digest('hex')
  expect(rows).toEqual(['20250101000000_init', '20250102000000_posts'].map((name) => ({ migration_name: name, checksum: checksum(name), finished: true, applied_steps_count: 1 })))
})
