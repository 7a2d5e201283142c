import { defineConfig } from 'prisma/config'

// Prisma 7 reads the connection from here: under workerdb, each worker's own DATABASE_URL.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
})
