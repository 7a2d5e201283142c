import { defineConfig } from '@mikro-orm/postgresql'
import { Migrator } from '@mikro-orm/migrations'
import { Author } from './src/entities/author.js'
import { Book } from './src/entities/book.js'

// What the app and `npx mikro-orm migration:up` use: the connection from DATABASE_URL.
export default defineConfig({
  clientUrl: process.env.DATABASE_URL,
  entities: [Author, Book],
  extensions: [Migrator],
  migrations: { path: './migrations' },
  debug: false,
})
