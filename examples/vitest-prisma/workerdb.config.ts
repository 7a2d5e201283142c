import { defineConfig } from '@workerdb/vitest'

export default defineConfig({
  // prisma/migrations, applied once into a template as `prisma migrate deploy` applies them, with
  // _prisma_migrations written as Prisma writes it: Prisma finds nothing to apply on a clone.
  migrate: { prisma: './prisma' },
  // Every test file starts with empty tables (ids from 1); _prisma_migrations stays.
  reset: 'truncate',
})
