import { INestApplicationContext } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { DataSource } from 'typeorm'
import { AppModule } from '../src/app.module'
import { UsersService } from '../src/users/users.service'

/** The app as each test file boots it: NestJS's testing module around the real AppModule, nothing mocked. */
export function useApp() {
  const app = {} as { context: INestApplicationContext; users: UsersService; dataSource: DataSource }
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile()
    app.context = await moduleRef.init()
    app.users = moduleRef.get(UsersService)
    app.dataSource = moduleRef.get(DataSource)
  })
  afterAll(() => app.context?.close())
  return app
}
