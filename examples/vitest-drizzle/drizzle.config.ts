import { defineConfig } from 'drizzle-kit'

// The project's drizzle-kit config, unchanged for tests: `npm run generate` writes ./drizzle from
// src/schema.ts, and workerdb applies that folder once into the template.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
  dbCredentials: { url: process.env.DATABASE_URL ?? '' },
})
