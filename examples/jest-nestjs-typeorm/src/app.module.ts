import { Module } from '@nestjs/common'
import { TypeOrmModule } from '@nestjs/typeorm'
import { User } from './users/user.entity'
import { UsersModule } from './users/users.module'

@Module({
  imports: [
    // Read when the module is created, from the environment: under workerdb, each Jest worker's own clone.
    TypeOrmModule.forRootAsync({
      useFactory: () => ({ type: 'postgres', url: process.env.DATABASE_URL, entities: [User] }),
    }),
    UsersModule,
  ],
})
export class AppModule {}
