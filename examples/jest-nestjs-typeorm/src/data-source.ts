import 'reflect-metadata'
import { DataSource } from 'typeorm'
import { User } from './users/user.entity'

// For typeorm's CLI: `typeorm migration:run -d src/data-source.ts`.
export default new DataSource({
  type: 'postgres',
  url: process.env.DATABASE_URL,
  entities: [User],
  migrations: ['src/migrations/*.ts'],
})
