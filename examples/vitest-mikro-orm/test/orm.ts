import { MikroORM } from '@mikro-orm/postgresql'
import { afterAll, beforeAll } from 'vitest'
import config from '../mikro-orm.config.js'

/** The app's MikroORM, on this worker's database (DATABASE_URL), closed when the file is done. */
export function useOrm() {
  const handle = {} as { orm: MikroORM }
  beforeAll(async () => {
    handle.orm = await MikroORM.init(config)
  })
  afterAll(() => handle.orm?.close(true))
  return handle
}
