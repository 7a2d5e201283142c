import { afterAll } from 'vitest'
import { createClient } from '../src/db.js'

/** One Prisma client per test file, on this worker's database, disconnected when the file is done. */
export function useClient() {
  const prisma = createClient()
  afterAll(() => prisma.$disconnect())
  return prisma
}
